package io.catena.mgmtd.server;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import java.io.ByteArrayOutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A compact binary encoding for mgmtd's KV records: a format version byte, then fixed-width big-endian numbers and
 * length-prefixed UTF-8 strings. Hand-written because mgmtd's records are few and small and a schema compiler would
 * be the only reason for one in this module. Stateless; the Writer and Reader are not thread-safe.
 */
final class Codec {
  /** Bumped when a record layout changes; readers refuse versions they do not know rather than misread them. */
  static final int FORMAT = 1;

  private Codec() {}

  static Writer writer() {
    return new Writer();
  }

  static Reader reader(byte[] value, String what) {
    return new Reader(value, what);
  }

  /** Appends fields in order. Not thread-safe. */
  static final class Writer {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(64);

    private Writer() {
      out.write(FORMAT);
    }

    Writer u8(int v) {
      out.write(v);
      return this;
    }

    Writer i32(int v) {
      for (int s = 24; s >= 0; s -= 8) {
        out.write(v >>> s);
      }
      return this;
    }

    Writer i64(long v) {
      for (int s = 56; s >= 0; s -= 8) {
        out.write((int) (v >>> s));
      }
      return this;
    }

    Writer str(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      i32(b.length);
      out.writeBytes(b);
      return this;
    }

    byte[] build() {
      return out.toByteArray();
    }
  }

  /** Reads fields in order; a short or foreign record becomes EIO naming the record. Not thread-safe. */
  static final class Reader {
    private final ByteBuffer buf;
    private final String what;

    private Reader(byte[] value, String what) {
      this.buf = ByteBuffer.wrap(value);
      this.what = what;
      int format = u8();
      if (format != FORMAT) {
        throw CatenaException.of(Errno.EIO, "%s: unknown record format %d (this mgmtd reads %d)", what, format,
            FORMAT);
      }
    }

    int u8() {
      try {
        return buf.get() & 0xff;
      } catch (BufferUnderflowException e) {
        throw corrupt();
      }
    }

    int i32() {
      try {
        return buf.getInt();
      } catch (BufferUnderflowException e) {
        throw corrupt();
      }
    }

    long i64() {
      try {
        return buf.getLong();
      } catch (BufferUnderflowException e) {
        throw corrupt();
      }
    }

    String str() {
      int n = i32();
      if (n < 0 || n > buf.remaining()) {
        throw corrupt();
      }
      byte[] b = new byte[n];
      buf.get(b);
      return new String(b, StandardCharsets.UTF_8);
    }

    /** A count of following items, checked against what is left so a corrupt count cannot allocate gigabytes. */
    int count(int minItemBytes) {
      int n = i32();
      if (n < 0 || (long) n * minItemBytes > buf.remaining()) {
        throw corrupt();
      }
      return n;
    }

    private CatenaException corrupt() {
      return CatenaException.of(Errno.EIO, "%s: corrupt record", what);
    }
  }
}
