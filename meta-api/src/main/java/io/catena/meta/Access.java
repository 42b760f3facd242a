package io.catena.meta;

/** access(2) mask bits. */
public final class Access {
  public static final int F_OK = 0;
  public static final int X_OK = 1;
  public static final int W_OK = 2;
  public static final int R_OK = 4;

  private Access() {}
}
