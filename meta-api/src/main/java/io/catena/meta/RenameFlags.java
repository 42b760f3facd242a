package io.catena.meta;

/** renameat2(2) flags, with Linux's values. */
public final class RenameFlags {
  public static final int NOREPLACE = 1;
  public static final int EXCHANGE = 2;

  private RenameFlags() {}
}
