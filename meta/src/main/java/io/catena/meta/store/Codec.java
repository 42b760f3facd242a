package io.catena.meta.store;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.meta.Inode;
import io.catena.meta.InodeType;
import io.catena.meta.Layout;
import io.catena.meta.OpenResult;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Binary encoding of the stored records: a version byte, then fixed fields in order. A reader that meets an unknown
 * version fails loudly (EIO) rather than guessing. Stateless and thread-safe.
 */
public final class Codec {
  private static final int V1 = 1;
  private static final InodeType[] TYPES = InodeType.values();

  private Codec() {}

  public static byte[] encodeInode(Inode i) {
    return write(out -> {
      out.writeByte(V1);
      writeInodeBody(out, i);
    });
  }

  public static Inode decodeInode(long id, byte[] b) {
    return read(b, in -> {
      version(in, "inode");
      long stored = in.readLong();
      if (stored != id) {
        throw CatenaException.of(Errno.EIO, "inode record under id %d claims id %d", id, stored);
      }
      return readInodeBody(in, id);
    });
  }

  public static byte[] encodeDent(Dent d) {
    return write(out -> {
      out.writeByte(V1);
      out.writeLong(d.ino());
      out.writeByte(d.type().ordinal());
      out.writeInt(d.uid());
      out.writeInt(d.gid());
      out.writeShort(d.perm());
    });
  }

  public static Dent decodeDent(long parent, String name, byte[] b) {
    return read(b, in -> {
      version(in, "directory entry");
      long ino = in.readLong();
      InodeType t = TYPES[in.readUnsignedByte()];
      return new Dent(parent, name, ino, t, in.readInt(), in.readInt(), in.readUnsignedShort());
    });
  }

  /** A write session: the client that holds it and when it was opened. */
  public record Session(String clientId, long openedAtNanos) {}

  public static byte[] encodeSession(Session s) {
    return write(out -> {
      out.writeByte(V1);
      out.writeUTF(s.clientId());
      out.writeLong(s.openedAtNanos());
    });
  }

  public static Session decodeSession(byte[] b) {
    return read(b, in -> {
      version(in, "session");
      return new Session(in.readUTF(), in.readLong());
    });
  }

  public static byte[] encodeLong(long v) {
    return write(out -> {
      out.writeByte(V1);
      out.writeLong(v);
    });
  }

  public static long decodeLong(byte[] b) {
    return read(b, in -> {
      version(in, "counter");
      return in.readLong();
    });
  }

  /** The stored answer of a mutation: nothing, an inode, an open result, or a number. */
  public static byte[] encodeAnswer(Object answer, long expiresAtNanos) {
    return write(out -> {
      out.writeByte(V1);
      out.writeLong(expiresAtNanos);
      switch (answer) {
        case null -> out.writeByte(0);
        case Inode i -> {
          out.writeByte(1);
          writeInodeBody(out, i);
        }
        case OpenResult r -> {
          out.writeByte(2);
          writeInodeBody(out, r.inode());
          out.writeLong(r.sessionId());
        }
        case Long l -> {
          out.writeByte(3);
          out.writeLong(l);
        }
        default -> throw new IllegalArgumentException("cannot store answer " + answer.getClass());
      }
    });
  }

  /** The expiry time of a stored answer. */
  public static long answerExpiry(byte[] b) {
    return read(b, in -> {
      version(in, "idempotency record");
      return in.readLong();
    });
  }

  public static Object decodeAnswer(byte[] b) {
    return read(b, in -> {
      version(in, "idempotency record");
      in.readLong();
      int kind = in.readUnsignedByte();
      return switch (kind) {
        case 0 -> null;
        case 1 -> readInodeBody(in, in.readLong());
        case 2 -> {
          Inode i = readInodeBody(in, in.readLong());
          yield new OpenResult(i, in.readLong());
        }
        case 3 -> in.readLong();
        default -> throw CatenaException.of(Errno.EIO, "unknown answer kind %d", kind);
      };
    });
  }

  private static void writeInodeBody(DataOutputStream out, Inode i) throws IOException {
    out.writeLong(i.id());
    out.writeByte(i.type().ordinal());
    out.writeShort(i.mode());
    out.writeInt(i.uid());
    out.writeInt(i.gid());
    out.writeInt(i.nlink());
    out.writeLong(i.length());
    out.writeLong(i.truncateVersion());
    out.writeLong(i.atime());
    out.writeLong(i.mtime());
    out.writeLong(i.ctime());
    out.writeLong(i.rdev());
    out.writeLong(i.parent());
    Layout l = i.layout();
    out.writeBoolean(l != null);
    if (l != null) {
      out.writeInt(l.chainTableId());
      out.writeInt(l.chainTableVersion());
      out.writeInt(l.chunkSize());
      out.writeInt(l.stripeSize());
      out.writeInt(l.baseChainIndex());
      out.writeLong(l.shuffleSeed());
    }
    writeString(out, i.symlinkTarget());
    writeString(out, i.name());
  }

  /** Reads the body after the id (the caller read or knows the id). */
  private static Inode readInodeBody(DataInputStream in, long id) throws IOException {
    InodeType t = TYPES[in.readUnsignedByte()];
    int mode = in.readUnsignedShort();
    int uid = in.readInt();
    int gid = in.readInt();
    int nlink = in.readInt();
    long len = in.readLong();
    long tv = in.readLong();
    long at = in.readLong();
    long mt = in.readLong();
    long ct = in.readLong();
    long rdev = in.readLong();
    long parent = in.readLong();
    Layout l = null;
    if (in.readBoolean()) {
      l = new Layout(in.readInt(), in.readInt(), in.readInt(), in.readInt(), in.readInt(), in.readLong());
    }
    String target = readString(in);
    String name = readString(in);
    return new Inode(id, t, mode, uid, gid, nlink, len, tv, at, mt, ct, rdev, l, target, parent, name);
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    if (s == null) {
      out.writeInt(-1);
      return;
    }
    byte[] b = MetaKeys.utf8(s);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String readString(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0) {
      return null;
    }
    return new String(in.readNBytes(n), java.nio.charset.StandardCharsets.UTF_8);
  }

  private static void version(DataInputStream in, String what) throws IOException {
    int v = in.readUnsignedByte();
    if (v != V1) {
      throw CatenaException.of(Errno.EIO, "%s record has unknown version %d", what, v);
    }
  }

  private interface Writer {
    void write(DataOutputStream out) throws IOException;
  }

  private interface Reader<T> {
    T read(DataInputStream in) throws IOException;
  }

  private static byte[] write(Writer w) {
    ByteArrayOutputStream bos = new ByteArrayOutputStream(96);
    try (DataOutputStream out = new DataOutputStream(bos)) {
      w.write(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bos.toByteArray();
  }

  private static <T> T read(byte[] b, Reader<T> r) {
    try {
      return r.read(new DataInputStream(new ByteArrayInputStream(b)));
    } catch (IOException | RuntimeException e) {
      if (e instanceof CatenaException ce) {
        throw ce;
      }
      throw new CatenaException(io.catena.common.Status.of(Errno.EIO, "corrupt record: %s", e), e);
    }
  }
}
