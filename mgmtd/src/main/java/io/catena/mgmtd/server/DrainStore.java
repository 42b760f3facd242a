package io.catena.mgmtd.server;

import io.catena.kv.KeyValue;
import io.catena.kv.Keys;
import io.catena.kv.ReadTransaction;
import io.catena.kv.ReadWriteTransaction;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The drain marks in mgmtd's KV store, beside {@link ClusterStore}'s records and with the same read rules
 * (conflict-tracked in a read-write transaction, snapshot reads otherwise). Stateless; thread-safe.
 *
 * <pre>
 * DRAN targetId(BE64)   a draining target: when it was marked and the replacement being built for its chain (0: none)
 * DRNX                  the next target id a replacement may take (never reused: a removed target's data may still
 *                       sit on its storage node under the old id)
 * </pre>
 */
final class DrainStore {
  private static final byte[] DRAN = Keys.kind("DRAN");
  private static final byte[] DRNX = Keys.kind("DRNX");

  /** One draining target as stored. Immutable. */
  record Mark(long targetId, long markedAtMillis, long replacementTargetId) {
    Mark withReplacement(long r) {
      return new Mark(targetId, markedAtMillis, r);
    }
  }

  private static byte[] key(long targetId) {
    return Keys.builder().bytes(DRAN).longBE(targetId).build();
  }

  Optional<Mark> mark(ReadTransaction txn, long targetId) {
    byte[] k = key(targetId);
    return (txn instanceof ReadWriteTransaction rw ? rw.get(k) : txn.snapshotGet(k)).map(DrainStore::decode);
  }

  List<Mark> marks(ReadTransaction txn) {
    List<Mark> all = new ArrayList<>();
    byte[] begin = DRAN;
    byte[] end = Keys.prefixEnd(DRAN);
    while (true) {
      var r = txn instanceof ReadWriteTransaction rw ? rw.getRange(begin, end, 0, false)
          : txn.snapshotGetRange(begin, end, 0, false);
      for (KeyValue kv : r.pairs()) {
        all.add(decode(kv.value()));
      }
      if (!r.more() || r.pairs().isEmpty()) {
        return all;
      }
      begin = Keys.keyAfter(r.pairs().getLast().key());
    }
  }

  void put(ReadWriteTransaction txn, Mark m) {
    txn.set(key(m.targetId()), Codec.writer().i64(m.targetId()).i64(m.markedAtMillis()).i64(m.replacementTargetId())
        .build());
  }

  void clear(ReadWriteTransaction txn, long targetId) {
    txn.clear(key(targetId));
  }

  /** A target id above {@code floor} never handed out before, recorded as taken. */
  long takeTargetId(ReadWriteTransaction txn, long floor) {
    long next = txn.get(DRNX).map(v -> Codec.reader(v, "next target id").i64()).orElse(0L);
    long id = Math.max(next, floor + 1);
    txn.set(DRNX, Codec.writer().i64(id + 1).build());
    return id;
  }

  private static Mark decode(byte[] v) {
    Codec.Reader r = Codec.reader(v, "drain mark");
    return new Mark(r.i64(), r.i64(), r.i64());
  }
}
