package io.catena.meta;

/** setxattr(2) flags, with Linux's values. */
public final class XattrFlags {
  public static final int CREATE = 1;
  public static final int REPLACE = 2;
  /** The most a value may hold (Linux's XATTR_SIZE_MAX). */
  public static final int MAX_VALUE = 65536;
  /** The longest name, prefix included (Linux's XATTR_NAME_MAX). */
  public static final int MAX_NAME = 255;

  private XattrFlags() {}
}
