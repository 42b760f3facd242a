package io.catena.kv.etcd;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.kv.Keys;
import io.catena.kv.core.CommitRequest;
import io.catena.kv.core.EngineCore;
import io.catena.kv.core.Snapshot;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnResponse;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * One transaction's view of etcd: its read revision, fixed by its first read (or by a bare linearizable read when
 * something needs the version before any read), and the log of what its reads revealed, for the commit's compares.
 * Confined to its transaction's thread, like the transaction.
 */
final class EtcdTxn implements EngineCore, Snapshot {
  /** A range page aims at about this many bytes of answer (the page size adapts to the values seen). */
  private static final long PAGE_BYTES = 4L << 20;
  private static final int FIRST_PAGE = 16;
  private static final int MAX_PAGE = 1024;
  /** Marks a prefetched key that was absent. Compared by identity. */
  private static final byte[] ABSENT = new byte[0];

  private final EtcdKvEngine engine;
  private final EtcdReader reader;
  private final EtcdKeys keys;
  private final Clock clock;
  private final long windowMillis;
  private final long beganMillis;
  private long readRevision = -1;
  final ReadLog log = new ReadLog();
  /** Prefetched values at the read revision (null until a prefetch). */
  private TreeMap<byte[], byte[]> prefetched;
  /** The mirror and its fences, or null when kv.etcd.mirror is off. */
  private final EtcdMirror mirror;
  private final RecentReads recent;
  /** How far behind a read-only transaction may read (0: at least the revision current at its begin). */
  private final long maxStalenessMillis;
  /** The mirror view every read is served from, or null: reads go to etcd. */
  private EtcdMirror.View view;

  EtcdTxn(EtcdKvEngine engine, EtcdReader reader, EtcdMirror mirror, RecentReads recent, Clock clock,
      long windowMillis, long maxStalenessMillis) {
    this.engine = engine;
    this.reader = reader;
    this.mirror = mirror;
    this.recent = recent;
    this.maxStalenessMillis = maxStalenessMillis;
    this.keys = reader.keys();
    this.clock = clock;
    this.windowMillis = windowMillis;
    this.beganMillis = clock.millis();
  }

  /** The read revision, fixed now by a linearizable read if no read fixed it yet. */
  long revision() {
    if (readRevision < 0 && !fixOnMirror()) {
      engine.checkOpen();
      readRevision = reader.currentRevision();
    }
    return readRevision;
  }

  /**
   * Fixes the read revision for a mirror-served transaction: the current revision, read linearizably now (after
   * the begin, in a request shared with every transaction beginning meanwhile) and never below this process's own
   * last commit; then a view of the mirror at a revision at least that. False if the mirror is off or behind (the
   * caller's read then fixes the revision as without a mirror); if the mirror misses the revision in time, the
   * revision stays fixed and reads go to etcd at it. A transaction allowed to be behind first tries the mirror as
   * it is ({@link RecentReads}).
   */
  private boolean fixOnMirror() {
    if (mirror == null || !mirror.usable()) {
      return false;
    }
    engine.checkOpen();
    if (maxStalenessMillis > 0) {
      view = recent.begin(maxStalenessMillis, engine.lastCommitRevision(), beganMillis);
      if (view != null) {
        readRevision = view.revision();
        return true;
      }
    }
    long needed = Math.max(recent.fence(), engine.lastCommitRevision());
    if (!mirror.usable()) {
      readRevision = needed; // found behind just now: read from etcd without waiting for it again
      return true;
    }
    view = mirror.begin(needed, beganMillis);
    readRevision = view == null ? needed : view.revision();
    return true;
  }

  /** The mirror view the transaction reads, or null. */
  EtcdMirror.View view() {
    return view;
  }

  /** The view to read from, fixing the read revision on the mirror first if nothing fixed it yet; null: etcd. */
  private EtcdMirror.View mirrorView() {
    if (readRevision < 0) {
      fixOnMirror();
    }
    return view;
  }

  /** The read revision, or -1 if nothing fixed it yet. */
  long knownRevision() {
    return readRevision;
  }

  /**
   * A read at the read revision; the first read goes without one (linearizable, at the latest revision) and its
   * answer's revision becomes the read revision, so the begin costs no round trip of its own.
   */
  private RangeResponse read(RangeRequest.Builder q, String what) {
    engine.checkOpen();
    if (readRevision >= 0) {
      return reader.range(q.setRevision(readRevision).build(), what);
    }
    RangeResponse r = reader.range(q.build(), what);
    readRevision = r.getHeader().getRevision();
    return r;
  }

  void checkOpen() {
    engine.checkOpen();
  }

  void checkAge() {
    long age = clock.millis() - beganMillis;
    if (age > windowMillis) {
      throw CatenaException.retryable(Errno.EAGAIN, "transaction too old: it began %d ms ago (read version"
          + " %d), longer than kv.conflict_window (%d ms)", age, readRevision, windowMillis);
    }
  }

  @Override
  public void checkReadable(long readVersion) {
    engine.checkOpen();
    checkAge();
  }

  @Override
  public long commit(CommitRequest request) {
    return engine.commit(this, request);
  }

  @Override
  public byte[] get(byte[] key) {
    if (mirrorView() != null) {
      engine.checkOpen();
      byte[] k = key.clone();
      log.cover(k, Keys.keyAfter(k));
      MirrorStore.Version v = view.store().get(k, readRevision);
      if (v == null) {
        return null;
      }
      log.saw(k, v.mod());
      return v.value().clone();
    }
    if (prefetched != null) {
      byte[] v = prefetched.get(key);
      if (v != null) {
        return v == ABSENT ? null : v.clone(); // its mod revision was logged when it came
      }
    }
    RangeResponse r = read(RangeRequest.newBuilder().setKey(keys.data(key)), "read");
    return logPoint(key.clone(), r);
  }

  private byte[] logPoint(byte[] k, RangeResponse r) {
    log.cover(k, Keys.keyAfter(k));
    if (r.getKvsCount() == 0) {
      return null;
    }
    KeyValue kv = r.getKvs(0);
    log.saw(k, kv.getModRevision());
    return kv.getValue().toByteArray();
  }

  /**
   * Reads {@code wanted} in one request (which fixes the read revision if nothing has) and keeps the answers for the
   * gets that follow: values at the read revision never change.
   */
  @Override
  public void prefetch(List<byte[]> wanted) {
    engine.checkOpen();
    if (mirrorView() != null) {
      return; // every get is local
    }
    List<RequestOp> reads = new ArrayList<>(wanted.size());
    long rev = Math.max(readRevision, 0);
    for (byte[] k : wanted) {
      reads.add(EtcdKeys.get(keys.data(k), rev, false, null, 0));
    }
    TxnResponse r = reader.readAll(reads, readRevision < 0, "read");
    if (readRevision < 0) {
      readRevision = r.getHeader().getRevision();
    }
    if (prefetched == null) {
      prefetched = new TreeMap<>(Keys.ORDER);
    }
    for (int i = 0; i < wanted.size(); i++) {
      byte[] v = logPoint(wanted.get(i), r.getResponses(i).getResponseRange());
      prefetched.put(wanted.get(i), v == null ? ABSENT : v);
    }
  }

  @Override
  public void scan(byte[] begin, byte[] end, boolean reverse, Visitor visitor) {
    if (mirrorView() != null) {
      scanMirror(begin.clone(), end.clone(), reverse, visitor);
      return;
    }
    byte[] lo = begin.clone();
    byte[] hi = end.clone();
    long page = FIRST_PAGE;
    while (Keys.compare(lo, hi) < 0) {
      RangeRequest.Builder q = RangeRequest.newBuilder().setKey(keys.data(lo)).setRangeEnd(keys.data(hi))
          .setLimit(page);
      if (reverse) {
        q.setSortOrder(RangeRequest.SortOrder.DESCEND).setSortTarget(RangeRequest.SortTarget.KEY);
      }
      RangeResponse r;
      try {
        r = read(q, "range read");
      } catch (EtcdClient.ResponseTooLarge e) {
        if (page == 1) {
          throw CatenaException.of(Errno.EFBIG, "kv %s: one value is larger than this client accepts: %s",
              engine.url(), e.getMessage());
        }
        page = 1;
        continue;
      }
      int n = r.getKvsCount();
      byte[][] found = new byte[n][];
      long bytes = 0;
      for (int i = 0; i < n; i++) {
        KeyValue kv = r.getKvs(i);
        found[i] = keys.userKey(kv.getKey());
        log.saw(found[i].clone(), kv.getModRevision());
        bytes += kv.getKey().size() + kv.getValue().size();
      }
      boolean more = r.getMore() && n > 0;
      // Everything this answer covers is known at the read revision, including the gaps between its keys.
      if (!more) {
        log.cover(lo.clone(), hi.clone());
      } else if (reverse) {
        log.cover(found[n - 1].clone(), hi.clone());
      } else {
        log.cover(lo.clone(), Keys.keyAfter(found[n - 1]));
      }
      for (int i = 0; i < n; i++) {
        if (!visitor.visit(found[i], r.getKvs(i).getValue().toByteArray())) {
          return;
        }
      }
      if (!more) {
        return;
      }
      if (reverse) {
        hi = found[n - 1];
      } else {
        lo = Keys.keyAfter(found[n - 1]);
      }
      long next = Math.min(MAX_PAGE, page * 4);
      if (bytes > 0) {
        next = Math.min(next, Math.max(1, PAGE_BYTES * n / bytes));
      }
      page = next;
    }
  }

  /** A scan of the mirror view: what it covers and the mod revisions it saw are logged as for an etcd answer. */
  private void scanMirror(byte[] lo, byte[] hi, boolean reverse, Visitor visitor) {
    engine.checkOpen();
    byte[][] stoppedAt = new byte[1][];
    view.store().scan(lo, hi, reverse, readRevision, (k, v) -> {
      log.saw(k, v.mod());
      if (!visitor.visit(k.clone(), v.value().clone())) {
        stoppedAt[0] = k;
        return false;
      }
      return true;
    });
    byte[] last = stoppedAt[0];
    if (last == null) {
      log.cover(lo, hi);
    } else if (reverse) {
      log.cover(last, hi);
    } else {
      log.cover(lo, Keys.keyAfter(last));
    }
  }

  @Override
  public void release() {
    if (view != null) {
      view.release(); // the revision stays readable from etcd: a late read after release still answers right
      view = null;
    }
  }
}
