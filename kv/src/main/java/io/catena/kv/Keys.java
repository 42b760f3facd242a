package io.catena.kv;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;

/**
 * Key encoding helpers. Keys are compared as unsigned bytes; every record kind starts with a 4-byte ASCII prefix
 * (e.g. {@code INOD}, {@code DENT}). Integers are big-endian where range order matters (the key order then equals
 * the numeric order of non-negative values) and little-endian where spreading hot sequential ids over the key space
 * matters. Stateless; thread-safe.
 */
public final class Keys {
  private Keys() {}

  /** Unsigned lexicographic order, the order of every engine. */
  public static final Comparator<byte[]> ORDER = Arrays::compareUnsigned;

  public static int compare(byte[] a, byte[] b) {
    return Arrays.compareUnsigned(a, b);
  }

  /** The 4-byte ASCII prefix of a record kind; refuses anything but 4 printable ASCII characters. */
  public static byte[] kind(String kind) {
    if (kind.length() != 4) {
      throw CatenaException.of(Errno.EINVAL, "a record kind has 4 ASCII characters, not '%s'", kind);
    }
    byte[] b = new byte[4];
    for (int i = 0; i < 4; i++) {
      char c = kind.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        throw CatenaException.of(Errno.EINVAL, "a record kind has 4 printable ASCII characters, not '%s'", kind);
      }
      b[i] = (byte) c;
    }
    return b;
  }

  /**
   * The first key after every key that starts with {@code prefix} (FoundationDB's strinc): trailing 0xff bytes are
   * dropped and the last remaining byte is incremented, so {@code [prefix, strinc(prefix))} is the prefix range.
   *
   * @throws CatenaException EINVAL if the prefix is empty or all 0xff (no such key exists)
   */
  public static byte[] strinc(byte[] prefix) {
    int n = prefix.length;
    while (n > 0 && prefix[n - 1] == (byte) 0xff) {
      n--;
    }
    if (n == 0) {
      throw CatenaException.of(Errno.EINVAL, "key %s has no prefix end (empty or all 0xff)", printable(prefix));
    }
    byte[] r = Arrays.copyOf(prefix, n);
    r[n - 1]++;
    return r;
  }

  /** Same as {@link #strinc}: the exclusive end of the range of keys starting with {@code prefix}. */
  public static byte[] prefixEnd(byte[] prefix) {
    return strinc(prefix);
  }

  /** The smallest key greater than {@code key}: {@code key + 0x00}. {@code [key, keyAfter(key))} holds only key. */
  public static byte[] keyAfter(byte[] key) {
    return Arrays.copyOf(key, key.length + 1);
  }

  public static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }

  public static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  public static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] r = new byte[n];
    int o = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, r, o, p.length);
      o += p.length;
    }
    return r;
  }

  /** The 8-byte little-endian value {@link ReadWriteTransaction#atomicAdd} keeps at a counter key. */
  public static byte[] counterValue(long v) {
    byte[] b = new byte[8];
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (v >>> (8 * i));
    }
    return b;
  }

  /** The counter in a value of {@link ReadWriteTransaction#atomicAdd}; null or not exactly 8 bytes reads as 0. */
  public static long counterOf(byte[] value) {
    return value == null || value.length != 8 ? 0 : readLongLE(value, 0);
  }

  public static long readLongBE(byte[] b, int off) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[off + i] & 0xffL);
    }
    return v;
  }

  public static long readLongLE(byte[] b, int off) {
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = (v << 8) | (b[off + i] & 0xffL);
    }
    return v;
  }

  public static int readIntBE(byte[] b, int off) {
    return (int) (readUnsigned(b, off, 4, true));
  }

  public static int readIntLE(byte[] b, int off) {
    return (int) (readUnsigned(b, off, 4, false));
  }

  private static long readUnsigned(byte[] b, int off, int n, boolean bigEndian) {
    long v = 0;
    for (int i = 0; i < n; i++) {
      int idx = bigEndian ? off + i : off + n - 1 - i;
      v = (v << 8) | (b[idx] & 0xffL);
    }
    return v;
  }

  /** The key for people and logs: printable ASCII as is, other bytes as {@code \xNN}. */
  public static String printable(byte[] key) {
    StringBuilder sb = new StringBuilder(key.length + 8);
    for (byte x : key) {
      int c = x & 0xff;
      if (c >= 0x20 && c < 0x7f && c != '\\') {
        sb.append((char) c);
      } else {
        sb.append(String.format("\\x%02x", c));
      }
    }
    return sb.toString();
  }

  /** A builder starting with a record kind's 4-byte prefix. */
  public static Builder builder(String kind) {
    return new Builder().bytes(kind(kind));
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Appends key parts in order. Not thread-safe. */
  public static final class Builder {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(32);

    private Builder() {}

    public Builder bytes(byte[] b) {
      out.writeBytes(b);
      return this;
    }

    public Builder u8(int v) {
      out.write(v);
      return this;
    }

    /** Big-endian: key order equals numeric order for non-negative values. */
    public Builder longBE(long v) {
      for (int s = 56; s >= 0; s -= 8) {
        out.write((int) (v >>> s));
      }
      return this;
    }

    /** Little-endian: sequential ids spread over the key space instead of piling onto its end. */
    public Builder longLE(long v) {
      for (int s = 0; s < 64; s += 8) {
        out.write((int) (v >>> s));
      }
      return this;
    }

    public Builder intBE(int v) {
      for (int s = 24; s >= 0; s -= 8) {
        out.write(v >>> s);
      }
      return this;
    }

    public Builder intLE(int v) {
      for (int s = 0; s < 32; s += 8) {
        out.write(v >>> s);
      }
      return this;
    }

    /** UTF-8 bytes without a terminator: put variable-length strings last in a key. */
    public Builder utf8(String s) {
      return bytes(Keys.utf8(s));
    }

    public byte[] build() {
      return out.toByteArray();
    }
  }
}
