package io.catena.kv.etcd;

import static io.catena.kv.etcd.EtcdKeys.get;
import static io.catena.kv.etcd.EtcdKeys.modEquals;
import static io.catena.kv.etcd.EtcdKeys.unchangedSince;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.kv.Keys;
import io.catena.kv.core.CommitRequest;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnResponse;
import com.google.protobuf.UnsafeByteOperations;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Turns one transaction's {@link CommitRequest} into the parts of its etcd transaction (see {@link EtcdKvEngine}):
 * the compares proving its conflict-tracked reads unchanged, the writes, and the conflict markers its clears and
 * write-conflict keys put. Counters and leases, which change between attempts, are added by {@link Committer}.
 * Stateless apart from its configuration; thread-safe.
 */
final class CommitBuilder {
  /** The parts of one commit that stay the same across its attempts. */
  record Parts(List<Compare> compares, List<RequestOp> writes, TreeSet<byte[]> markers,
      java.util.NavigableMap<byte[], Long> adds) {}

  private final EtcdKeys keys;
  private final EtcdReader reader;
  private final String url;
  private final int maxTxnOps;

  CommitBuilder(EtcdKeys keys, EtcdReader reader, String url, int maxTxnOps) {
    this.keys = keys;
    this.reader = reader;
    this.url = url;
    this.maxTxnOps = maxTxnOps;
  }

  Parts build(EtcdTxn t, CommitRequest req) {
    java.util.NavigableMap<byte[], Long> adds = req.adds();
    List<Compare> compares = readCompares(t, req, adds.size());
    TreeSet<byte[]> puts = new TreeSet<>(Keys.ORDER);
    TreeSet<byte[]> markers = new TreeSet<>(Keys.ORDER);
    List<RequestOp> ops = new ArrayList<>();
    for (Map.Entry<byte[], byte[]> w : req.writes().entrySet()) {
      if (!req.isDelete(w.getValue())) {
        puts.add(w.getKey());
      }
    }
    puts.addAll(adds.keySet());
    List<byte[]> clears = req.clearRanges();
    for (int i = 0; i < clears.size(); i += 2) {
      byte[] c = clears.get(i);
      byte[] d = clears.get(i + 1);
      markers.add(c);
      // etcd refuses a put inside a range deleted by the same transaction: delete around the keys set after it.
      byte[] from = c;
      for (byte[] p : puts.subSet(c, true, d, false)) {
        if (Keys.compare(from, p) < 0) {
          ops.add(keys.deleteOp(from, p));
        }
        from = Keys.keyAfter(p);
      }
      if (Keys.compare(from, d) < 0) {
        ops.add(keys.deleteOp(from, d));
      }
    }
    for (Map.Entry<byte[], byte[]> w : req.writes().entrySet()) {
      byte[] k = w.getKey();
      if (req.isDelete(w.getValue())) {
        markers.add(k);
        ops.add(RequestOp.newBuilder().setRequestDeleteRange(DeleteRangeRequest.newBuilder().setKey(keys.data(k)))
            .build());
      } else {
        ops.add(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(keys.data(k))
            .setValue(UnsafeByteOperations.unsafeWrap(w.getValue()))).build());
      }
    }
    markers.addAll(extraWriteConflicts(req));
    int compareCount = compares.size() + adds.size();
    int successOps = ops.size() + markers.size() + adds.size();
    int failureOps = adds.isEmpty() ? 0 : adds.size() + (compares.isEmpty() ? 0 : 1);
    // With counters, the failure branch nests the compares again, and etcd allows a nested level only what the
    // level above left unused.
    int nested = adds.isEmpty() ? 0 : compares.size();
    checkOpCount(compareCount, successOps, failureOps, nested);
    return new Parts(compares, ops, markers, adds);
  }

  /**
   * The keys of {@code addWriteConflictKey}: {@link io.catena.kv.core.Transaction} lists write-conflict ranges as its
   * cleared ranges, then one point per written key, then one per added key, then the explicit ones.
   */
  private static List<byte[]> extraWriteConflicts(CommitRequest req) {
    byte[][] wc = req.writeConflicts();
    int from = req.clearRanges().size() + 2 * req.writes().size() + 2 * req.adds().size();
    if (from > wc.length || (wc.length - from) % 2 != 0) {
      throw new IllegalStateException("unexpected write-conflict layout: " + wc.length + " entries, " + from
          + " from writes");
    }
    List<byte[]> out = new ArrayList<>((wc.length - from) / 2);
    for (int i = from; i < wc.length; i += 2) {
      out.add(wc[i]);
    }
    return out;
  }

  /**
   * The compares that prove the transaction's conflict-tracked reads unchanged since its read version (see
   * {@link EtcdKvEngine}), looking up at the read version what its reads did not reveal.
   */
  private List<Compare> readCompares(EtcdTxn t, CommitRequest req, int guards) {
    byte[][] rc = req.readConflicts();
    if (rc.length == 0) {
      return List.of(); // a blind write: no read version needed, none fixed
    }
    long rv = t.revision();
    TreeMap<byte[], Long> equal = new TreeMap<>(Keys.ORDER);
    List<byte[]> dataRanges = new ArrayList<>();
    List<byte[]> markerRanges = new ArrayList<>();
    List<byte[]> unknown = new ArrayList<>();
    for (int i = 0; i < rc.length; i += 2) {
      byte[] b = rc[i];
      byte[] e = rc[i + 1];
      if (Keys.compare(b, e) >= 0) {
        continue;
      }
      markerRanges.add(b);
      markerRanges.add(e);
      boolean point = e.length == b.length + 1 && e[b.length] == 0 && Arrays.equals(b, 0, b.length, e, 0, b.length);
      if (point) {
        long m = t.log.modOf(b);
        if (m < 0) {
          unknown.add(b);
          unknown.add(null);
        } else {
          equal.put(b, m);
        }
      } else {
        dataRanges.add(b);
        dataRanges.add(e);
        byte[][] first = t.log.firstKey(b, e);
        if (first == null) {
          unknown.add(b);
          unknown.add(e);
        } else if (first.length == 1) {
          equal.put(first[0], t.log.modOf(first[0]));
        }
      }
    }
    if (!unknown.isEmpty() && t.view() != null) {
      lookUpInMirror(t.view().store(), rv, unknown, equal);
    } else if (!unknown.isEmpty()) {
      lookUpAtReadVersion(rv, unknown, equal);
    }
    List<byte[]> data = mergeRanges(dataRanges);
    List<byte[]> marks = mergeRanges(markerRanges);
    // With counters the compares appear twice (the failure branch nests them again), plus one guard per counter.
    int cap = guards == 0 ? maxTxnOps : (maxTxnOps - guards) / 2;
    int budget = cap - equal.size() - data.size() / 2;
    if (marks.size() / 2 > budget && budget >= 1) {
      marks = widen(marks, budget);
    }
    List<Compare> out = new ArrayList<>(equal.size() + (data.size() + marks.size()) / 2);
    for (Map.Entry<byte[], Long> e : equal.entrySet()) {
      out.add(modEquals(keys.data(e.getKey()), e.getValue()));
    }
    for (int i = 0; i < data.size(); i += 2) {
      out.add(unchangedSince(keys.data(data.get(i)), keys.data(data.get(i + 1)), rv));
    }
    for (int i = 0; i < marks.size(); i += 2) {
      out.add(unchangedSince(keys.marker(marks.get(i)), keys.marker(marks.get(i + 1)), rv));
    }
    return out;
  }

  /**
   * Fills {@code equal} for positions the transaction's reads did not reveal: pairs (key, null) want the key's mod
   * revision at the read version, pairs (begin, end) the first key of the range at it.
   */
  private void lookUpAtReadVersion(long rv, List<byte[]> wanted, TreeMap<byte[], Long> equal) {
    int perRequest = Math.max(1, maxTxnOps);
    for (int from = 0; from < wanted.size(); from += 2 * perRequest) {
      int to = Math.min(wanted.size(), from + 2 * perRequest);
      List<RequestOp> reads = new ArrayList<>();
      for (int i = from; i < to; i += 2) {
        byte[] b = wanted.get(i);
        byte[] e = wanted.get(i + 1);
        reads.add(e == null ? get(keys.data(b), rv, true, null, 0) : get(keys.data(b), rv, true, keys.data(e), 1));
      }
      TxnResponse r = reader.readAll(reads, false, "conflict check read");
      for (int i = from; i < to; i += 2) {
        RangeResponse rr = r.getResponses((i - from) / 2).getResponseRange();
        if (wanted.get(i + 1) == null) {
          equal.put(wanted.get(i), rr.getKvsCount() == 0 ? 0L : rr.getKvs(0).getModRevision());
        } else if (rr.getKvsCount() > 0) {
          equal.put(keys.userKey(rr.getKvs(0).getKey()), rr.getKvs(0).getModRevision());
        }
      }
    }
  }

  /** {@link #lookUpAtReadVersion} from the transaction's mirror view, which holds revision {@code rv}. */
  private static void lookUpInMirror(MirrorStore store, long rv, List<byte[]> wanted, TreeMap<byte[], Long> equal) {
    for (int i = 0; i < wanted.size(); i += 2) {
      byte[] b = wanted.get(i);
      byte[] e = wanted.get(i + 1);
      if (e == null) {
        MirrorStore.Version v = store.get(b, rv);
        equal.put(b, v == null ? 0L : v.mod());
      } else {
        store.scan(b, e, false, rv, (k, v) -> {
          equal.put(k, v.mod());
          return false;
        });
      }
    }
  }

  /** Sorts ranges (flat begin/end pairs) and merges overlapping or touching ones: the same set of keys. */
  static List<byte[]> mergeRanges(List<byte[]> flat) {
    int n = flat.size() / 2;
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (x, y) -> Keys.compare(flat.get(2 * x), flat.get(2 * y)));
    List<byte[]> out = new ArrayList<>();
    for (Integer i : order) {
      byte[] b = flat.get(2 * i);
      byte[] e = flat.get(2 * i + 1);
      if (!out.isEmpty() && Keys.compare(b, out.getLast()) <= 0) {
        if (Keys.compare(e, out.getLast()) > 0) {
          out.set(out.size() - 1, e);
        }
      } else {
        out.add(b);
        out.add(e);
      }
    }
    return out;
  }

  /**
   * Merges neighbouring marker ranges, closest first (longest common prefix between one's end and the next one's
   * begin), until at most {@code budget} remain: a superset, so only false conflicts can be added.
   */
  static List<byte[]> widen(List<byte[]> sorted, int budget) {
    List<byte[]> r = new ArrayList<>(sorted);
    while (r.size() / 2 > budget) {
      int best = -1;
      int bestLen = -1;
      for (int i = 1; i + 1 < r.size(); i += 2) {
        int len = commonPrefix(r.get(i), r.get(i + 1));
        if (len > bestLen) {
          bestLen = len;
          best = i;
        }
      }
      r.remove(best + 1);
      r.remove(best);
    }
    return r;
  }

  private static int commonPrefix(byte[] a, byte[] b) {
    int m = Arrays.mismatch(a, b);
    return m < 0 ? a.length : m;
  }

  private void checkOpCount(int compares, int success, int failure, int nested) {
    int ops = Math.max(compares, Math.max(success, failure)) + nested;
    if (ops > maxTxnOps) {
      throw CatenaException.of(Errno.E2BIG, "kv %s: this commit needs %d etcd operations in one transaction"
          + " (%d compares for its conflict-tracked reads and counters, %d writes), more than etcd's --max-txn-ops"
          + " limit of %d (kv.etcd.max_txn_ops); etcd transactions are never split: make the transaction smaller",
          url, ops, compares, success, maxTxnOps);
    }
  }
}
