package io.catena.meta.store;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The key layout of the namespace (ARCHITECTURE 3.1). Inode ids are little-endian inside keys: ids are handed out in
 * sequence, and little-endian spreads neighbours over the key space instead of making one hot range. Session and
 * request counters are big-endian so one inode's (one client's) records stay in order.
 *
 * <pre>
 * INOD ino(LE8)                      inode record
 * DENT parent(LE8) name(utf8)        directory entry; one parent's entries are one contiguous range
 * INOS ino(LE8) session(BE8)         write session of one file handle
 * IDEM client(utf8) 0x00 seq(BE8)    answer of a mutation, for retries
 * XATR ino(LE8) name(utf8)           extended attribute
 * GCQ_ ino(LE8)                      unlinked file waiting for chunk removal (the hidden GC area)
 * LOCK ino(LE8) kind client 0 owner  advisory locks of one owner (see LockOps)
 * META counter-name                  shared counters (inode id allocation)
 * QUOT dir(LE8)                      directory quota: state, limits, enclosing quota (see QuotaLedger)
 * QUSE dir(LE8) kind                 its usage counters (kind 'b' bytes, 'i' inodes), 8-byte LE, atomic adds
 * DREF data(LE8)                     how many files name their chunks by data id {@code data}, when more than one
 *                                    (snapshots share data copy-on-write, see DataRefs)
 * COWI data(LE8)                     a copy-on-write copying chunks to data id {@code data} (see CopyOnWrite)
 * </pre>
 * Stateless and thread-safe.
 */
public final class MetaKeys {
  public static final byte[] INOD = ascii("INOD");
  public static final byte[] DENT = ascii("DENT");
  public static final byte[] INOS = ascii("INOS");
  public static final byte[] IDEM = ascii("IDEM");
  public static final byte[] XATR = ascii("XATR");
  public static final byte[] GCQ = ascii("GCQ_");
  public static final byte[] LOCK = ascii("LOCK");
  public static final byte[] QUOT = ascii("QUOT");
  public static final byte[] QUSE = ascii("QUSE");
  public static final byte[] DREF = ascii("DREF");
  public static final byte[] COWI = ascii("COWI");
  public static final byte[] ID_COUNTER = concat(ascii("META"), ascii("inode_id"));

  private MetaKeys() {}

  public static byte[] inode(long ino) {
    return withId(INOD, ino, 0).array();
  }

  public static byte[] dentPrefix(long parent) {
    return withId(DENT, parent, 0).array();
  }

  public static byte[] dent(long parent, String name) {
    byte[] n = utf8(name);
    return withId(DENT, parent, n.length).put(n).array();
  }

  public static byte[] sessionPrefix(long ino) {
    return withId(INOS, ino, 0).array();
  }

  public static byte[] session(long ino, long session) {
    return withId(INOS, ino, 8).order(ByteOrder.BIG_ENDIAN).putLong(session).array();
  }

  public static byte[] xattrPrefix(long ino) {
    return withId(XATR, ino, 0).array();
  }

  public static byte[] xattr(long ino, String name) {
    byte[] n = utf8(name);
    return withId(XATR, ino, n.length).put(n).array();
  }

  public static byte[] quota(long dir) {
    return withId(QUOT, dir, 0).array();
  }

  public static byte[] quotaUsedBytes(long dir) {
    return withId(QUSE, dir, 1).put((byte) 'b').array();
  }

  public static byte[] quotaUsedInodes(long dir) {
    return withId(QUSE, dir, 1).put((byte) 'i').array();
  }

  public static byte[] dataRef(long data) {
    return withId(DREF, data, 0).array();
  }

  public static byte[] cowIntent(long data) {
    return withId(COWI, data, 0).array();
  }

  public static byte[] gc(long ino) {
    return withId(GCQ, ino, 0).array();
  }

  /** Every advisory lock record of {@code ino}. */
  public static byte[] lockPrefix(long ino) {
    return withId(LOCK, ino, 0).array();
  }

  /** The lock record of one owner; {@code kind} is the ordinal of its LockRequest.Kind. */
  public static byte[] lock(long ino, int kind, String client, long owner) {
    byte[] c = utf8(client);
    return withId(LOCK, ino, 1 + c.length + 1 + 8).put((byte) kind).put(c).put((byte) 0).putLong(owner).array();
  }

  /** The client id in a LOCK key. */
  public static String lockClientOf(byte[] key) {
    int end = 13;
    while (key[end] != 0) {
      end++;
    }
    return new String(key, 13, end - 13, StandardCharsets.UTF_8);
  }

  public static byte[] idem(String client, long seq) {
    byte[] c = utf8(client);
    return ByteBuffer.allocate(4 + c.length + 1 + 8).put(IDEM).put(c).put((byte) 0).putLong(seq).array();
  }

  /** The id in an INOD/DENT/INOS/XATR/GCQ_ key. */
  public static long idOf(byte[] key) {
    return ByteBuffer.wrap(key, 4, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
  }

  /** The name after prefix and id (DENT and XATR keys). */
  public static String nameOf(byte[] key) {
    return new String(key, 12, key.length - 12, StandardCharsets.UTF_8);
  }

  /** The session id of an INOS key. */
  public static long sessionOf(byte[] key) {
    return ByteBuffer.wrap(key, 12, 8).getLong();
  }

  public static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  private static ByteBuffer withId(byte[] prefix, long id, int extra) {
    ByteBuffer b = ByteBuffer.allocate(4 + 8 + extra).put(prefix).order(ByteOrder.LITTLE_ENDIAN).putLong(id);
    return b.order(ByteOrder.BIG_ENDIAN);
  }
}
