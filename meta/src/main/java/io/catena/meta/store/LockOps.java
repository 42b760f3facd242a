package io.catena.meta.store;

import io.catena.kv.Keys;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.kv.KeyValue;
import io.catena.meta.FileLock;
import io.catena.meta.LockRequest;
import io.catena.meta.LockRequest.Kind;
import io.catena.meta.LockRequest.Type;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Advisory locks, one KV record per (inode, kind, client, owner) holding that owner's ranges:
 * {@code LOCK ino(LE8) kind(1) client(utf8) 0x00 owner(BE8)}. A request reads all records of the inode with a
 * range read conflict, so two owners racing for the same range conflict and one retries, then sees the other's lock.
 * POSIX semantics: an owner's new range replaces the parts of its own ranges it overlaps (splitting them), adjacent
 * ranges of one type merge, and unlocking a part of a range keeps the rest. Thread-safe: stateless.
 */
public final class LockOps {
  private LockOps() {}

  private record Range(Type type, long start, long end) {}

  private static FileLock[] decode(KeyValue kv) {
    byte[] k = kv.key();
    Kind kind = Kind.values()[k[12]];
    String client = MetaKeys.lockClientOf(k);
    long owner = ByteBuffer.wrap(k, k.length - 8, 8).getLong();
    List<Range> ranges = decodeRanges(kv.value());
    FileLock[] r = new FileLock[ranges.size()];
    for (int i = 0; i < r.length; i++) {
      Range x = ranges.get(i);
      r[i] = new FileLock(client, owner, kind, x.type(), x.start(), x.end());
    }
    return r;
  }

  public static void setLock(Tx tx, long ino, LockRequest req) {
    tx.inode(ino);
    Optional<FileLock> blocker = conflict(tx, ino, req, true);
    if (blocker.isPresent() && req.type() != Type.UNLOCK) {
      throw CatenaException.of(Errno.EAGAIN, "inode %d is locked by %s/%d", ino, blocker.get().clientId(),
          blocker.get().owner());
    }
    byte[] key = MetaKeys.lock(ino, req.kind().ordinal(), req.clientId(), req.owner());
    List<Range> mine = tx.get(key, true).map(LockOps::decodeRanges).orElse(List.of());
    List<Range> next = apply(mine, req.type(), req.start(), req.end());
    if (next.isEmpty()) {
      tx.clear(key);
    } else {
      tx.set(key, encodeRanges(next));
    }
  }

  public static Optional<FileLock> getLock(Tx tx, long ino, LockRequest req) {
    tx.inode(ino);
    return req.type() == Type.UNLOCK ? Optional.empty() : conflict(tx, ino, req, false);
  }

  private static Optional<FileLock> conflict(Tx tx, long ino, LockRequest req, boolean track) {
    byte[] p = MetaKeys.lockPrefix(ino);
    List<KeyValue> all = track ? ((io.catena.kv.ReadWriteTransaction) tx.raw()).getRange(p, Keys.strinc(p), 0,
        false).pairs() : tx.raw().snapshotGetRange(p, Keys.strinc(p), 0, false).pairs();
    for (KeyValue kv : all) {
      for (FileLock l : decode(kv)) {
        boolean sameOwner = l.clientId().equals(req.clientId()) && l.owner() == req.owner();
        if (sameOwner || l.kind() != req.kind()) {
          continue;
        }
        boolean overlap = l.start() < req.end() && req.start() < l.end();
        if (overlap && (l.type() == Type.WRITE || req.type() == Type.WRITE)) {
          return Optional.of(l);
        }
      }
    }
    return Optional.empty();
  }

  /** The owner's ranges after locking (or unlocking) {@code [s, e)}: cut, insert, merge neighbours of one type. */
  private static List<Range> apply(List<Range> mine, Type type, long s, long e) {
    List<Range> out = new ArrayList<>();
    for (Range r : mine) {
      if (r.end() <= s || r.start() >= e) {
        out.add(r);
        continue;
      }
      if (r.start() < s) {
        out.add(new Range(r.type(), r.start(), s));
      }
      if (r.end() > e) {
        out.add(new Range(r.type(), e, r.end()));
      }
    }
    if (type != Type.UNLOCK) {
      out.add(new Range(type, s, e));
    }
    out.sort((a, b) -> Long.compare(a.start(), b.start()));
    List<Range> merged = new ArrayList<>();
    for (Range r : out) {
      Range last = merged.isEmpty() ? null : merged.getLast();
      if (last != null && last.type() == r.type() && last.end() == r.start()) {
        merged.set(merged.size() - 1, new Range(r.type(), last.start(), r.end()));
      } else {
        merged.add(r);
      }
    }
    return merged;
  }

  private static byte[] encodeRanges(List<Range> ranges) {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bos)) {
      out.writeByte(1);
      out.writeInt(ranges.size());
      for (Range r : ranges) {
        out.writeByte(r.type().ordinal());
        out.writeLong(r.start());
        out.writeLong(r.end());
      }
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    return bos.toByteArray();
  }

  private static List<Range> decodeRanges(byte[] b) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b))) {
      if (in.readUnsignedByte() != 1) {
        throw CatenaException.of(Errno.EIO, "lock record has an unknown version");
      }
      int n = in.readInt();
      List<Range> r = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        r.add(new Range(Type.values()[in.readUnsignedByte()], in.readLong(), in.readLong()));
      }
      return r;
    } catch (IOException ex) {
      throw CatenaException.of(Errno.EIO, "corrupt lock record: %s", ex);
    }
  }
}
