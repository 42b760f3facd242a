package io.catena.meta.store;

import io.catena.kv.Keys;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.kv.KeyValue;
import io.catena.kv.RangeResult;
import io.catena.kv.ReadTransaction;
import io.catena.kv.ReadWriteTransaction;
import io.catena.meta.Inode;
import io.catena.meta.InodeType;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Typed access to the namespace records inside one KV transaction. Inodes and directory entries read or written in
 * the transaction are cached, so an operation touching the same directory twice (a rename within one parent) sees
 * its own changes, and a create, which looks at its parent and its name twice (create's checks, then add's), reads
 * each once and declares each read conflict once: every duplicate conflict range was work for the KV committer's
 * single resolver thread. "ForUpdate" reads record a read conflict; plain reads are snapshot reads that only
 * steer. Not thread-safe: one transaction, one thread.
 */
public final class Tx {
  private final ReadTransaction txn;
  private final Map<Long, Optional<Inode>> inodes = new HashMap<>();
  /** Keys whose read conflict is already declared (inode ids as Long, entries as DentKey). */
  private Set<Object> conflicted; // allocated by the first conflict read: reads never need it
  private Map<DentKey, Optional<Dent>> dents;

  private record DentKey(long parent, String name) {}

  private record QuotaKey(long dir) {}
  private Map<Long, Optional<Codec.Quota>> quotas;

  public Tx(ReadTransaction txn) {
    this.txn = txn;
  }

  private ReadWriteTransaction rw() {
    if (txn instanceof ReadWriteTransaction w) {
      return w;
    }
    throw new IllegalStateException("write in a read-only transaction");
  }

  public ReadTransaction raw() {
    return txn;
  }

  /** The inode, read with a conflict so the transaction fails if it changes; ENOENT if it does not exist. */
  public Inode inodeForUpdate(long ino) {
    return findInode(ino, true).orElseThrow(() -> noInode(ino));
  }

  /** The inode by snapshot read (steering only); ENOENT if it does not exist. */
  public Inode inode(long ino) {
    return findInode(ino, false).orElseThrow(() -> noInode(ino));
  }

  /** Whether {@code key}'s read conflict is not declared yet (and from now on counts as declared). */
  private boolean firstConflict(Object key) {
    if (conflicted == null) {
      conflicted = new HashSet<>();
    }
    return conflicted.add(key);
  }

  public Optional<Inode> findInode(long ino, boolean conflict) {
    Optional<Inode> cached = inodes.get(ino);
    if (cached != null) {
      if (conflict && firstConflict(ino)) {
        rw().addReadConflictKey(MetaKeys.inode(ino));
      }
      return cached;
    }
    byte[] key = MetaKeys.inode(ino);
    if (conflict) {
      firstConflict(ino);
    }
    Optional<byte[]> v = conflict ? rw().get(key) : txn.snapshotGet(key);
    Optional<Inode> r = v.map(b -> Codec.decodeInode(ino, b));
    inodes.put(ino, r);
    return r;
  }

  public void putInode(Inode i) {
    rw().set(MetaKeys.inode(i.id()), Codec.encodeInode(i));
    inodes.put(i.id(), Optional.of(i));
  }

  /** Deletes the inode with its extended attributes and write sessions. */
  public void deleteInode(long ino) {
    ReadWriteTransaction w = rw();
    w.clear(MetaKeys.inode(ino));
    byte[] xp = MetaKeys.xattrPrefix(ino);
    w.clearRange(xp, Keys.strinc(xp));
    byte[] sp = MetaKeys.sessionPrefix(ino);
    w.clearRange(sp, Keys.strinc(sp));
    w.clear(MetaKeys.gc(ino));
    w.clear(TrashRecords.trashTime(ino));
    w.clear(TrashRecords.entry(ino));
    byte[] lp = MetaKeys.lockPrefix(ino);
    w.clearRange(lp, Keys.strinc(lp));
    inodes.put(ino, Optional.empty());
  }

  public Optional<Dent> dent(long parent, String name, boolean conflict) {
    DentKey k = new DentKey(parent, name);
    if (dents == null) {
      dents = new HashMap<>();
    }
    Optional<Dent> cached = dents.get(k);
    if (cached != null) {
      if (conflict && firstConflict(k)) {
        rw().addReadConflictKey(MetaKeys.dent(parent, name));
      }
      return cached;
    }
    byte[] key = MetaKeys.dent(parent, name);
    if (conflict) {
      firstConflict(k);
    }
    Optional<byte[]> v = conflict ? rw().get(key) : txn.snapshotGet(key);
    Optional<Dent> r = v.map(b -> Codec.decodeDent(parent, name, b));
    dents.put(k, r);
    return r;
  }

  public void putDent(Dent d) {
    rw().set(MetaKeys.dent(d.parent(), d.name()), Codec.encodeDent(d));
    if (dents != null) {
      dents.put(new DentKey(d.parent(), d.name()), Optional.of(d));
    }
  }

  /** The entry naming {@code child} in {@code parent}, with the child's current owner and bits if a directory. */
  public static Dent dentFor(long parent, String name, Inode child) {
    boolean dir = child.type() == InodeType.DIRECTORY;
    return new Dent(parent, name, child.id(), child.type(), dir ? child.uid() : 0, dir ? child.gid() : 0,
        dir ? child.mode() : 0);
  }

  public void clearDent(long parent, String name) {
    rw().clear(MetaKeys.dent(parent, name));
    if (dents != null) {
      dents.put(new DentKey(parent, name), Optional.empty());
    }
  }

  /** Whether the directory has no entries; with {@code conflict}, a create in it makes this transaction retry. */
  public boolean isEmptyDir(long dir, boolean conflict) {
    byte[] p = MetaKeys.dentPrefix(dir);
    RangeResult r = conflict ? rw().getRange(p, Keys.strinc(p), 1, false)
        : txn.snapshotGetRange(p, Keys.strinc(p), 1, false);
    return r.pairs().isEmpty();
  }

  /** Up to {@code limit} entries of {@code dir} after {@code cursor} (null: from the start), snapshot read. */
  public RangeResult dentPage(long dir, String cursor, int limit) {
    byte[] p = MetaKeys.dentPrefix(dir);
    byte[] begin = cursor == null ? p : Keys.keyAfter(MetaKeys.dent(dir, cursor));
    return txn.snapshotGetRange(begin, Keys.strinc(p), limit, false);
  }

  public static Dent decodeDentPair(KeyValue kv) {
    return Codec.decodeDent(MetaKeys.idOf(kv.key()), MetaKeys.nameOf(kv.key()), kv.value());
  }

  /**
   * Whether write session {@code sessionId} (0: none, never open) is open on {@code ino}; conflict-tracked, so a
   * concurrent close of that session makes the caller retry.
   */
  public boolean hasSession(long ino, long sessionId) {
    return sessionId != 0 && rw().get(MetaKeys.session(ino, sessionId)).isPresent();
  }

  /** Whether any write session is open on {@code ino}. */
  public boolean hasSessions(long ino, boolean conflict) {
    byte[] p = MetaKeys.sessionPrefix(ino);
    RangeResult r = conflict ? rw().getRange(p, Keys.strinc(p), 1, false)
        : txn.snapshotGetRange(p, Keys.strinc(p), 1, false);
    return !r.pairs().isEmpty();
  }

  /** The quota record of directory {@code dir} (cached like inodes; a conflict is added on every conflict read). */
  public Optional<Codec.Quota> quota(long dir, boolean conflict) {
    if (quotas == null) {
      quotas = new HashMap<>();
    }
    Optional<Codec.Quota> cached = quotas.get(dir);
    if (cached != null) {
      if (conflict && firstConflict(new QuotaKey(dir))) {
        rw().addReadConflictKey(MetaKeys.quota(dir));
      }
      return cached;
    }
    if (conflict) {
      firstConflict(new QuotaKey(dir));
    }
    Optional<Codec.Quota> q = get(MetaKeys.quota(dir), conflict).map(Codec::decodeQuota);
    quotas.put(dir, q);
    return q;
  }

  public void putQuota(long dir, Codec.Quota q) {
    rw().set(MetaKeys.quota(dir), Codec.encodeQuota(q));
    if (quotas == null) {
      quotas = new HashMap<>();
    }
    quotas.put(dir, Optional.of(q));
  }

  public void clearQuota(long dir) {
    rw().clear(MetaKeys.quota(dir));
    if (quotas == null) {
      quotas = new HashMap<>();
    }
    quotas.put(dir, Optional.empty());
  }

  /** A conflict-free addition to a counter (see ReadWriteTransaction#atomicAdd). */
  public void atomicAdd(byte[] key, long delta) {
    rw().atomicAdd(key, delta);
  }

  /**
   * Asks the engine for directory {@code parent}'s inode, its entry {@code name} and {@code extra} (if not null) in
   * one round trip, for an operation about to read them one after the other (a remote engine pays a round trip per
   * read; local ones ignore it). Records nothing: the reads that follow do.
   */
  public void prefetchEntry(long parent, String name, byte[] extra) {
    java.util.List<byte[]> keys = new java.util.ArrayList<>(3);
    if (!inodes.containsKey(parent)) {
      keys.add(MetaKeys.inode(parent));
    }
    boolean plainName = name != null && !name.isEmpty() && !name.equals(".") && !name.equals(".."); // else: EINVAL etc.
    if (plainName && (dents == null || !dents.containsKey(new DentKey(parent, name)))) {
      keys.add(MetaKeys.dent(parent, name));
    }
    if (extra != null) {
      keys.add(extra);
    }
    if (keys.size() > 1) {
      txn.prefetch(keys);
    }
  }

  public Optional<byte[]> get(byte[] key, boolean conflict) {
    return conflict ? rw().get(key) : txn.snapshotGet(key);
  }

  public void set(byte[] key, byte[] value) {
    rw().set(key, value);
  }

  public void clear(byte[] key) {
    rw().clear(key);
  }

  public static CatenaException noInode(long ino) {
    return CatenaException.of(Errno.ENOENT, "no inode %d", ino);
  }
}
