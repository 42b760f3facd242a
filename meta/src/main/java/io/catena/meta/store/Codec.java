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
import java.nio.ByteBuffer;

/**
 * Binary encoding of the stored records: a version byte, then fixed fields in order. A reader that meets an unknown
 * version fails loudly (EIO) rather than guessing. Stateless and thread-safe.
 */
public final class Codec {
  private static final int V1 = 1;
  /**
   * Inode records (and answers carrying one) of inodes under a directory quota: V1 followed by the quota domain.
   * Inodes under no quota keep writing V1, so a namespace without quotas is byte-for-byte what it was.
   */
  private static final int V2 = 2;
  private static final InodeType[] TYPES = InodeType.values();

  private Codec() {}

  // Inodes and entries are encoded on every create, stat and unlink, so they go through exactly sized ByteBuffers
  // instead of the stream classes (which copied each record twice and showed up at ~10% of a create's CPU). The
  // bytes are the same as DataOutputStream's: big-endian, strings as int length + UTF-8.

  public static byte[] encodeInode(Inode i) {
    byte[] target = utf8OrNull(i.symlinkTarget());
    byte[] name = utf8OrNull(i.name());
    ByteBuffer b = ByteBuffer.allocate(1 + inodeBodySize(i, target, name) + quotaSize(i));
    b.put((byte) inodeVersion(i));
    putInodeBody(b, i, target, name);
    putQuota(b, i);
    return b.array();
  }

  public static Inode decodeInode(long id, byte[] bytes) {
    try {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      int v = versionOneOrTwo(b, "inode");
      long stored = b.getLong();
      if (stored != id) {
        throw CatenaException.of(Errno.EIO, "inode record under id %d claims id %d", id, stored);
      }
      return getQuota(b, v, getInodeBody(b, id));
    } catch (RuntimeException e) {
      throw corrupt(e);
    }
  }

  public static byte[] encodeDent(Dent d) {
    return ByteBuffer.allocate(20).put((byte) V1).putLong(d.ino()).put((byte) d.type().ordinal()).putInt(d.uid())
        .putInt(d.gid()).putShort((short) d.perm()).array();
  }

  public static Dent decodeDent(long parent, String name, byte[] bytes) {
    try {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      version(b, "directory entry");
      long ino = b.getLong();
      InodeType t = TYPES[b.get() & 0xff];
      return new Dent(parent, name, ino, t, b.getInt(), b.getInt(), b.getShort() & 0xffff);
    } catch (RuntimeException e) {
      throw corrupt(e);
    }
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

  /** A copy-on-write in progress: the layout of the copy (its data id included) and when it began. */
  public record CowIntent(Layout layout, long startedNanos) {}

  public static byte[] encodeCowIntent(Layout l, long startedNanos) {
    return write(out -> {
      out.writeByte(V1);
      out.writeInt(l.chainTableId());
      out.writeInt(l.chainTableVersion());
      out.writeInt(l.chunkSize());
      out.writeInt(l.stripeSize());
      out.writeInt(l.baseChainIndex());
      out.writeLong(l.shuffleSeed());
      out.writeLong(l.dataId());
      out.writeLong(startedNanos);
    });
  }

  public static CowIntent decodeCowIntent(byte[] b) {
    return read(b, in -> {
      version(in, "copy-on-write intent");
      Layout l = new Layout(in.readInt(), in.readInt(), in.readInt(), in.readInt(), in.readInt(), in.readLong(),
          in.readLong());
      return new CowIntent(l, in.readLong());
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
    ByteBuffer b;
    switch (answer) {
      case null -> b = ByteBuffer.allocate(10).put((byte) V1).putLong(expiresAtNanos).put((byte) 0);
      case Inode i -> {
        byte[] target = utf8OrNull(i.symlinkTarget());
        byte[] name = utf8OrNull(i.name());
        b = ByteBuffer.allocate(10 + inodeBodySize(i, target, name) + quotaSize(i)).put((byte) inodeVersion(i))
            .putLong(expiresAtNanos).put((byte) 1);
        putInodeBody(b, i, target, name);
        putQuota(b, i);
      }
      case OpenResult r -> {
        byte[] target = utf8OrNull(r.inode().symlinkTarget());
        byte[] name = utf8OrNull(r.inode().name());
        b = ByteBuffer.allocate(18 + inodeBodySize(r.inode(), target, name) + quotaSize(r.inode()))
            .put((byte) inodeVersion(r.inode())).putLong(expiresAtNanos).put((byte) 2);
        putInodeBody(b, r.inode(), target, name);
        putQuota(b, r.inode());
        b.putLong(r.sessionId());
      }
      case Long l -> b = ByteBuffer.allocate(18).put((byte) V1).putLong(expiresAtNanos).put((byte) 3).putLong(l);
      default -> throw new IllegalArgumentException("cannot store answer " + answer.getClass());
    }
    return b.array();
  }

  /** The expiry time of a stored answer. */
  public static long answerExpiry(byte[] bytes) {
    try {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      versionOneOrTwo(b, "idempotency record");
      return b.getLong();
    } catch (RuntimeException e) {
      throw corrupt(e);
    }
  }

  public static Object decodeAnswer(byte[] bytes) {
    try {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      int v = versionOneOrTwo(b, "idempotency record");
      b.getLong();
      int kind = b.get() & 0xff;
      return switch (kind) {
        case 0 -> null;
        case 1 -> getQuota(b, v, getInodeBody(b, b.getLong()));
        case 2 -> {
          Inode i = getQuota(b, v, getInodeBody(b, b.getLong()));
          yield new OpenResult(i, b.getLong());
        }
        case 3 -> b.getLong();
        default -> throw CatenaException.of(Errno.EIO, "unknown answer kind %d", kind);
      };
    } catch (RuntimeException e) {
      throw corrupt(e);
    }
  }

  private static int inodeVersion(Inode i) {
    return i.quotaDomain() == Inode.NO_QUOTA ? V1 : V2;
  }

  private static int quotaSize(Inode i) {
    return i.quotaDomain() == Inode.NO_QUOTA ? 0 : 8;
  }

  private static void putQuota(ByteBuffer b, Inode i) {
    if (i.quotaDomain() != Inode.NO_QUOTA) {
      b.putLong(i.quotaDomain());
    }
  }

  private static Inode getQuota(ByteBuffer b, int version, Inode i) {
    return version == V2 ? i.withQuotaDomain(b.getLong()) : i;
  }

  private static int versionOneOrTwo(ByteBuffer b, String what) {
    int v = b.get() & 0xff;
    if (v != V1 && v != V2) {
      throw CatenaException.of(Errno.EIO, "%s record has unknown version %d", what, v);
    }
    return v;
  }

  /** A directory quota: its state, limits (0: none) and the enclosing quota's domain (or NO_QUOTA). */
  public record Quota(int state, long maxBytes, long maxInodes, long parentDomain) {}

  public static byte[] encodeQuota(Quota q) {
    return ByteBuffer.allocate(1 + 1 + 3 * 8).put((byte) V1).put((byte) q.state()).putLong(q.maxBytes())
        .putLong(q.maxInodes()).putLong(q.parentDomain()).array();
  }

  public static Quota decodeQuota(byte[] bytes) {
    try {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      version(b, "quota");
      return new Quota(b.get() & 0xff, b.getLong(), b.getLong(), b.getLong());
    } catch (RuntimeException e) {
      throw corrupt(e);
    }
  }

  private static byte[] utf8OrNull(String s) {
    return s == null ? null : MetaKeys.utf8(s);
  }

  /** Bytes of an inode body (id included) with the given UTF-8 forms of its target and name. */
  private static int inodeBodySize(Inode i, byte[] target, byte[] name) {
    return 8 + 1 + 2 + 4 + 4 + 4 + 7 * 8 + 1 + (i.layout() == null ? 0 : 5 * 4 + 8)
        + (i.layout() == null || i.layout().dataId() == Layout.OWN_DATA ? 0 : 8)
        + 4 + (target == null ? 0 : target.length) + 4 + (name == null ? 0 : name.length);
  }

  private static void putInodeBody(ByteBuffer b, Inode i, byte[] target, byte[] name) {
    b.putLong(i.id()).put((byte) i.type().ordinal()).putShort((short) i.mode()).putInt(i.uid()).putInt(i.gid())
        .putInt(i.nlink()).putLong(i.length()).putLong(i.truncateVersion()).putLong(i.atime()).putLong(i.mtime())
        .putLong(i.ctime()).putLong(i.rdev()).putLong(i.parent());
    Layout l = i.layout();
    // 0: no layout, 1: a layout, 2: a layout with a data id (shared data, docs/snapshots.md) after it
    b.put((byte) (l == null ? 0 : l.dataId() == Layout.OWN_DATA ? 1 : 2));
    if (l != null) {
      b.putInt(l.chainTableId()).putInt(l.chainTableVersion()).putInt(l.chunkSize()).putInt(l.stripeSize())
          .putInt(l.baseChainIndex()).putLong(l.shuffleSeed());
      if (l.dataId() != Layout.OWN_DATA) {
        b.putLong(l.dataId());
      }
    }
    putBytes(b, target);
    putBytes(b, name);
  }

  private static void putBytes(ByteBuffer b, byte[] s) {
    if (s == null) {
      b.putInt(-1);
    } else {
      b.putInt(s.length).put(s);
    }
  }

  /** Reads the body after the id (the caller read or knows the id). */
  private static Inode getInodeBody(ByteBuffer b, long id) {
    InodeType t = TYPES[b.get() & 0xff];
    int mode = b.getShort() & 0xffff;
    int uid = b.getInt();
    int gid = b.getInt();
    int nlink = b.getInt();
    long len = b.getLong();
    long tv = b.getLong();
    long at = b.getLong();
    long mt = b.getLong();
    long ct = b.getLong();
    long rdev = b.getLong();
    long parent = b.getLong();
    Layout l = null;
    byte hasLayout = b.get();
    if (hasLayout != 0) {
      l = new Layout(b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getLong(),
          hasLayout == 2 ? b.getLong() : Layout.OWN_DATA);
    }
    String target = getString(b);
    String name = getString(b);
    return new Inode(id, t, mode, uid, gid, nlink, len, tv, at, mt, ct, rdev, l, target, parent, name);
  }

  private static String getString(ByteBuffer b) {
    int n = b.getInt();
    if (n < 0) {
      return null;
    }
    if (n > b.remaining()) {
      throw CatenaException.of(Errno.EIO, "string of %d bytes in a record with %d left", n, b.remaining());
    }
    String s = new String(b.array(), b.arrayOffset() + b.position(), n, java.nio.charset.StandardCharsets.UTF_8);
    b.position(b.position() + n);
    return s;
  }

  private static void version(ByteBuffer b, String what) {
    int v = b.get() & 0xff;
    if (v != V1) {
      throw CatenaException.of(Errno.EIO, "%s record has unknown version %d", what, v);
    }
  }

  private static CatenaException corrupt(RuntimeException e) {
    if (e instanceof CatenaException ce) {
      return ce;
    }
    return new CatenaException(io.catena.common.Status.of(Errno.EIO, "corrupt record: %s", e), e);
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
