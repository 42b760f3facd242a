package io.catena.kv.etcd;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Status;
import io.catena.common.config.Config;
import io.catena.kv.CommitUnknownException;
import io.catena.kv.Keys;
import io.catena.kv.KvConfig;
import io.catena.kv.KvEngine;
import io.catena.kv.KvFaults;
import io.catena.kv.ReadTransaction;
import io.catena.kv.ReadWriteTransaction;
import io.catena.kv.core.CommitRequest;
import io.catena.kv.core.EngineCore;
import io.catena.kv.core.Resolver;
import io.catena.kv.core.Snapshot;
import io.catena.kv.core.Transaction;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.ResponseOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.catena.common.retry.Retrier;
import io.catena.common.retry.RetryPolicy;
import io.catena.common.retry.Sleeper;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The {@code etcd://host:port[,host:port...]/prefix} engine: Catena's transactions on an etcd 3.4+ cluster, every
 * key under the URL's prefix, every commit one etcd transaction ({@code If} compares, {@code Then} writes).
 *
 * <h2>Key space</h2>
 * For prefix {@code p}: user key {@code k} is stored at {@code p:d<k>}; conflict markers (below) live at
 * {@code p:c<k>}; {@code p:v} is never written (a begin reads it to learn the current revision). ':' cannot occur in
 * a prefix ({@link EtcdUrl}), so no prefix's key space contains another's, and every range is mapped inside
 * {@code [p:d, p:e)}: no read, clear or compare leaves the prefix, and users never see markers.
 *
 * <h2>Reads and versions</h2>
 * A transaction's read version R is the etcd revision of a linearizable read at begin; every read is a range
 * request at revision R, so all reads see one snapshot, and it includes everything acknowledged before the begin.
 * Reads of a compacted revision fail with a retryable "transaction too old". Writes are buffered in the shared
 * {@link Transaction} (read-your-writes, clearRange and pending atomic adds merged into reads, exactly as the local
 * engines do). The commit version is the revision etcd assigns to the commit.
 *
 * <h2>Conflicts: what each commit compares</h2>
 * The commit is serializable at its own revision C if everything the transaction read with conflict tracking is
 * unchanged between R and C; etcd evaluates the compares atomically with the writes, so that is the check.
 * <ul>
 *   <li><b>Point read of k</b> (observed mod revision M at R, 0 if absent): {@code mod_revision(k) == M}. Equality,
 *   not {@code mod_revision <= R}: a key deleted after R has mod revision 0 in a compare, which {@code <= R}
 *   accepts, so a delete (and a delete followed by a re-create is caught either way) would slip through. Equality
 *   fails on every change of k, including deletion; the only history it accepts is "created and deleted again"
 *   for an absent k, which leaves k absent as read, so the commit is still serializable at C.</li>
 *   <li><b>Range read of [b, e)</b> (getRange, addReadConflictRange), with S the keys present in it at R and k0 the
 *   smallest of them: (1) {@code mod_revision < R+1} over the whole range, (2) the same over the marker range
 *   {@code [p:c<b>, p:c<e>)}, (3) {@code mod_revision(k0) == M(k0)}. (1) catches every insert, update and
 *   re-create, but not a delete: a deleted key is simply absent from the range etcd compares over. Deletes are
 *   what the markers are for: every clear of k puts marker k, and every clearRange [c, d) puts marker c, in the
 *   same etcd transaction. A key of S deleted after R by a clear that starts inside [b, e) left a marker in the
 *   range, failing (2). A clear that starts before b and reaches a key of S also covers [b, that key], so it
 *   deleted k0 too, failing (3). Together: the content of [b, e) at C equals S with the same revisions, at three
 *   compares per range and one extra write per clear, whatever the number of keys involved.</li>
 *   <li><b>addWriteConflictKey(k)</b> puts marker k, and a point read also compares marker k ({@code < R+1}), so
 *   readers of k conflict without k's value changing.</li>
 * </ul>
 * Read positions the transaction's own reads did not reveal (addReadConflict* without a read, a get answered from
 * its own writes) are looked up at revision R at commit, in one read-only etcd transaction. Marker compares may be
 * widened (neighbours merged) to fit etcd's op limit: markers are written only by clears and write-conflict keys,
 * so a wider marker range costs at most a rare false conflict, never a missed one.
 *
 * <h2>Markers and their lifetime</h2>
 * A marker matters only to transactions whose read version is older than it. Transactions live at most
 * {@code kv.conflict_window} (measured on the injected clock from begin; older ones fail with a retryable "too
 * old", as FoundationDB's five-second limit), so markers are put with an etcd lease of
 * {@code 2 x (conflict_window + request_timeout) + 60 s} and vanish with it; the engine grants a fresh lease every
 * half TTL. Every process sharing one prefix must therefore use the same {@code kv.conflict_window}.
 *
 * <h2>atomicAdd</h2>
 * No read conflict is taken. At commit the engine reads the counters' latest values and mod revisions, puts
 * {@code old + delta} and guards each counter with {@code mod_revision == latest}. The failure branch holds a
 * nested transaction of the user's compares alone plus fresh reads of the counters, so one answer tells a real
 * conflict (nested compares failed: EAGAIN) from a concurrent add (guards failed: recompute from the fresh values
 * and resend). Each resend follows someone else's successful write of the counter, so adds are never lost and the
 * loop always makes global progress; it is bounded and then reports a retryable conflict.
 *
 * <h2>Limits and failures</h2>
 * etcd's {@code --max-txn-ops} and {@code --max-request-bytes} (mirrored in {@code kv.etcd.max_txn_ops} and
 * {@code kv.etcd.max_request_bytes}) are checked on the exact request before sending, and etcd's own refusals are
 * mapped: both are non-retryable errors naming the limit; a commit is never split. A compare failure is a
 * retryable EAGAIN, as in the other engines. A deadline ({@code kv.etcd.request_timeout}) or a broken connection
 * after the request was sent is a {@link CommitUnknownException}; a request refused before it reached raft (no
 * connection, no leader) is a plain retryable error. {@link KvFaults} are drawn once per commit with writes.
 *
 * <p>Thread-safe: any number of threads may run transactions; each transaction belongs to one thread.
 */
public final class EtcdKvEngine implements KvEngine {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(EtcdKvEngine.class);
  private static final ByteString EMPTY = ByteString.EMPTY;
  /** Bounded resends of one commit whose only failure was concurrent atomic adds to its counters. */
  private static final int MAX_COUNTER_ATTEMPTS = 64;
  /** A range page aims at about this many bytes of answer (the page size adapts to the values seen). */
  private static final long PAGE_BYTES = 4L << 20;
  private static final int FIRST_PAGE = 16;
  private static final int MAX_PAGE = 1024;

  private final String url;
  private final String prefix;
  private final KvFaults faults;
  private final Clock clock;
  private final long windowMillis;
  private final int maxTxnOps;
  private final long maxRequestBytes;
  private final long leaseTtlSeconds;
  private final EtcdClient client;
  private final byte[] dataPrefix;
  private final byte[] markerPrefix;
  private final ByteString probeKey;
  private final Object leaseLock = new Object();
  private long leaseId;
  private long leaseGrantedNanos;
  private volatile boolean closed;

  private EtcdKvEngine(String url, EtcdUrl parsed, Config config, KvFaults faults, Clock clock) {
    this.url = url;
    this.prefix = parsed.prefix();
    this.faults = faults;
    this.clock = clock;
    Duration window = KvConfig.get(config, KvConfig.CONFLICT_WINDOW);
    Duration requestTimeout = KvConfig.get(config, EtcdConfig.REQUEST_TIMEOUT);
    this.windowMillis = window.toMillis();
    this.maxTxnOps = KvConfig.get(config, EtcdConfig.MAX_TXN_OPS);
    this.maxRequestBytes = KvConfig.get(config, EtcdConfig.MAX_REQUEST_BYTES).bytes();
    this.leaseTtlSeconds = 2 * (window.toSeconds() + requestTimeout.toSeconds() + 2) + 60;
    byte[] base = (prefix + ":").getBytes(StandardCharsets.US_ASCII);
    this.dataPrefix = Keys.concat(base, new byte[] {'d'});
    this.markerPrefix = Keys.concat(base, new byte[] {'c'});
    this.probeKey = ByteString.copyFrom(Keys.concat(base, new byte[] {'v'}));
    // Any single value up to the request limit must fit in one answer, with room for a page of small ones.
    int maxInbound = (int) Math.min(Integer.MAX_VALUE, Math.max(64L << 20, 2 * maxRequestBytes + (1 << 20)));
    this.client = new EtcdClient(url, parsed, KvConfig.get(config, EtcdConfig.USER),
        KvConfig.get(config, EtcdConfig.PASSWORD), requestTimeout, KvConfig.get(config, EtcdConfig.CONNECT_TIMEOUT),
        maxInbound);
  }

  /**
   * Connects to the cluster named by {@code url} (authenticating when {@code kv.etcd.user} is set) and checks that
   * it answers; throws a CatenaException saying why not otherwise.
   */
  public static EtcdKvEngine open(String url, Config config, KvFaults faults, Clock clock) {
    EtcdUrl parsed = EtcdUrl.parse(url);
    EtcdKvEngine e = new EtcdKvEngine(url, parsed, config, faults, clock);
    // A process started together with etcd (or during an election) must not die of etcd's first slow answer.
    Retrier.Attempts attempts = new Retrier(RetryPolicy.untilDeadline(Duration.ofMillis(100), Duration.ofSeconds(2),
        KvConfig.get(config, EtcdConfig.OPEN_TIMEOUT)), clock, new SplittableRandom(), Sleeper.system()).begin();
    try {
      while (true) {
        try {
          e.client.authenticate();
          e.currentRevision();
          return e;
        } catch (CatenaException ex) {
          if (!ex.isRetryable()) {
            throw ex;
          }
          LOG.warn("kv engine {}: etcd does not answer yet ({}); trying again", url, ex.getMessage());
          attempts.failed(ex);
        }
      }
    } catch (RuntimeException ex) {
      e.client.close();
      if (ex instanceof CatenaException ce) {
        throw new CatenaException(new Status(ce.errno(), "kv engine " + url + ": cannot open: "
            + ce.status().message(), ce.isRetryable(), Optional.empty()));
      }
      throw ex;
    }
  }

  /** The key-space name of the URL. */
  public String prefix() {
    return prefix;
  }

  @Override
  public ReadTransaction beginRead() {
    return begin(true);
  }

  @Override
  public ReadWriteTransaction beginReadWrite() {
    return begin(false);
  }

  private Transaction begin(boolean readOnly) {
    checkOpen();
    long began = clock.millis();
    long rev = currentRevision();
    EtcdTxn t = new EtcdTxn(rev, began);
    return new Transaction(t, t, rev, readOnly);
  }

  private long currentRevision() {
    RangeResponse r = client.range(RangeRequest.newBuilder().setKey(probeKey).setCountOnly(true).build(), "begin");
    return r.getHeader().getRevision();
  }

  @Override
  public String url() {
    return url;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    client.close();
  }

  private void checkOpen() {
    if (closed) {
      throw client.shutdown();
    }
  }

  // ------------------------------------------------------------------------------------------------ keys

  private ByteString data(byte[] userKey) {
    return UnsafeByteOperations.unsafeWrap(Keys.concat(dataPrefix, userKey));
  }

  private ByteString marker(byte[] userKey) {
    return UnsafeByteOperations.unsafeWrap(Keys.concat(markerPrefix, userKey));
  }

  private byte[] userKey(ByteString etcdKey) {
    if (!etcdKey.startsWith(UnsafeByteOperations.unsafeWrap(dataPrefix))) {
      throw new IllegalStateException("etcd returned a key outside " + prefix + ": " + etcdKey);
    }
    return etcdKey.substring(dataPrefix.length).toByteArray();
  }

  private static RequestOp get(ByteString key, long revision, boolean keysOnly, ByteString rangeEnd, long limit) {
    RangeRequest.Builder r = RangeRequest.newBuilder().setKey(key).setRevision(revision).setKeysOnly(keysOnly)
        .setLimit(limit);
    if (rangeEnd != null) {
      r.setRangeEnd(rangeEnd);
    }
    return RequestOp.newBuilder().setRequestRange(r).build();
  }

  private static Compare modEquals(ByteString key, long mod) {
    return Compare.newBuilder().setKey(key).setTarget(Compare.CompareTarget.MOD)
        .setResult(Compare.CompareResult.EQUAL).setModRevision(mod).build();
  }

  /** Every key in {@code [key, end)} was last modified at or before {@code revision}. */
  private static Compare unchangedSince(ByteString key, ByteString end, long revision) {
    return Compare.newBuilder().setKey(key).setRangeEnd(end).setTarget(Compare.CompareTarget.MOD)
        .setResult(Compare.CompareResult.LESS).setModRevision(revision + 1).build();
  }

  // ---------------------------------------------------------------------------------------------- commit

  private long commit(EtcdTxn t, CommitRequest req) {
    checkOpen();
    KvFaults.Decision fate = faults.decide();
    switch (fate) {
      case CONFLICT -> throw Resolver.injectedConflict();
      case UNKNOWN_NOT_APPLIED -> throw new CommitUnknownException("injected fault (not applied)");
      default -> { }
    }
    t.checkAge();
    long rv = req.readVersion();
    NavigableMap<byte[], Long> adds = req.adds();
    List<Compare> userCompares = readCompares(t, req, adds.size());

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
          ops.add(deleteOp(from, p));
        }
        from = Keys.keyAfter(p);
      }
      if (Keys.compare(from, d) < 0) {
        ops.add(deleteOp(from, d));
      }
    }
    for (Map.Entry<byte[], byte[]> w : req.writes().entrySet()) {
      byte[] k = w.getKey();
      if (req.isDelete(w.getValue())) {
        markers.add(k);
        ops.add(RequestOp.newBuilder().setRequestDeleteRange(DeleteRangeRequest.newBuilder().setKey(data(k))).build());
      } else {
        ops.add(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(data(k))
            .setValue(UnsafeByteOperations.unsafeWrap(w.getValue()))).build());
      }
    }
    markers.addAll(extraWriteConflicts(req));

    int compares = userCompares.size() + adds.size();
    int successOps = ops.size() + markers.size() + adds.size();
    int failureOps = adds.isEmpty() ? 0 : adds.size() + (userCompares.isEmpty() ? 0 : 1);
    checkOpCount(compares, successOps, failureOps);

    // Counter state: key -> {latest value's counter, mod revision}; refreshed from failure answers.
    TreeMap<byte[], long[]> counters = adds.isEmpty() ? null : latestCounters(adds.keySet());
    boolean leaseRetried = false;
    for (int attempt = 1; ; attempt++) {
      long lease = markers.isEmpty() ? 0 : lease();
      TxnRequest.Builder txn = TxnRequest.newBuilder().addAllCompare(userCompares).addAllSuccess(ops);
      for (byte[] m : markers) {
        txn.addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(marker(m)).setValue(EMPTY)
            .setLease(lease)));
      }
      if (counters != null) {
        if (!userCompares.isEmpty()) {
          txn.addFailure(RequestOp.newBuilder().setRequestTxn(TxnRequest.newBuilder().addAllCompare(userCompares)));
        }
        for (Map.Entry<byte[], long[]> c : counters.entrySet()) {
          ByteString k = data(c.getKey());
          txn.addCompare(modEquals(k, c.getValue()[1]));
          long sum = c.getValue()[0] + adds.get(c.getKey());
          txn.addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(k)
              .setValue(UnsafeByteOperations.unsafeWrap(Keys.counterValue(sum)))));
          txn.addFailure(get(k, 0, false, null, 0));
        }
      }
      TxnRequest request = txn.build();
      checkSize(request);
      TxnResponse resp;
      try {
        resp = client.commit(request);
      } catch (EtcdClient.LeaseGone g) {
        // etcd refused the whole request (nothing applied): the lease expired under us, e.g. after a long pause.
        leaseGone(lease);
        if (leaseRetried) {
          throw CatenaException.retryable(Errno.EIO, "kv %s: etcd lost the marker lease twice in a row", url);
        }
        leaseRetried = true;
        continue;
      }
      if (resp.getSucceeded()) {
        if (fate == KvFaults.Decision.UNKNOWN_APPLIED) {
          throw new CommitUnknownException("injected fault (applied)");
        }
        return resp.getHeader().getRevision();
      }
      if (counters == null) {
        throw Resolver.conflict(rv);
      }
      int at = 0;
      if (!userCompares.isEmpty()) {
        if (!resp.getResponses(0).getResponseTxn().getSucceeded()) {
          throw Resolver.conflict(rv);
        }
        at = 1;
      }
      // Only the counters moved: take their fresh values from this answer and try again.
      for (Map.Entry<byte[], long[]> c : counters.entrySet()) {
        c.setValue(counterState(resp.getResponses(at++).getResponseRange()));
      }
      if (attempt >= MAX_COUNTER_ATTEMPTS) {
        throw CatenaException.retryable(Errno.EAGAIN, "transaction conflict: its atomic counters changed"
            + " concurrently %d times in a row", attempt);
      }
      checkOpen();
    }
  }

  private RequestOp deleteOp(byte[] from, byte[] to) {
    return RequestOp.newBuilder().setRequestDeleteRange(DeleteRangeRequest.newBuilder().setKey(data(from))
        .setRangeEnd(data(to))).build();
  }

  /**
   * The keys of {@code addWriteConflictKey}: {@link Transaction} lists write-conflict ranges as its cleared ranges,
   * then one point per written key, then one per added key, then the explicit ones.
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

  private TreeMap<byte[], long[]> latestCounters(Iterable<byte[]> keys) {
    TxnRequest.Builder read = TxnRequest.newBuilder();
    List<byte[]> order = new ArrayList<>();
    for (byte[] k : keys) {
      read.addSuccess(get(data(k), 0, false, null, 0));
      order.add(k);
    }
    TxnResponse r = client.readTxn(read.build(), "counter read");
    TreeMap<byte[], long[]> out = new TreeMap<>(Keys.ORDER);
    for (int i = 0; i < order.size(); i++) {
      out.put(order.get(i), counterState(r.getResponses(i).getResponseRange()));
    }
    return out;
  }

  private static long[] counterState(RangeResponse r) {
    if (r.getKvsCount() == 0) {
      return new long[] {0, 0};
    }
    KeyValue kv = r.getKvs(0);
    return new long[] {Keys.counterOf(kv.getValue().toByteArray()), kv.getModRevision()};
  }

  /**
   * The compares that prove the transaction's conflict-tracked reads unchanged since its read version (see the
   * class comment), looking up at the read version what its reads did not reveal.
   */
  private List<Compare> readCompares(EtcdTxn t, CommitRequest req, int guards) {
    byte[][] rc = req.readConflicts();
    long rv = req.readVersion();
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
    if (!unknown.isEmpty()) {
      lookUpAtReadVersion(rv, unknown, equal);
    }
    List<byte[]> data = mergeRanges(dataRanges);
    List<byte[]> marks = mergeRanges(markerRanges);
    int budget = maxTxnOps - equal.size() - data.size() / 2 - guards;
    if (marks.size() / 2 > budget && budget >= 1) {
      marks = widen(marks, budget);
    }
    List<Compare> out = new ArrayList<>(equal.size() + (data.size() + marks.size()) / 2);
    for (Map.Entry<byte[], Long> e : equal.entrySet()) {
      out.add(modEquals(data(e.getKey()), e.getValue()));
    }
    for (int i = 0; i < data.size(); i += 2) {
      out.add(unchangedSince(data(data.get(i)), data(data.get(i + 1)), rv));
    }
    for (int i = 0; i < marks.size(); i += 2) {
      out.add(unchangedSince(marker(marks.get(i)), marker(marks.get(i + 1)), rv));
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
      TxnRequest.Builder read = TxnRequest.newBuilder();
      for (int i = from; i < to; i += 2) {
        byte[] b = wanted.get(i);
        byte[] e = wanted.get(i + 1);
        read.addSuccess(e == null ? get(data(b), rv, true, null, 0) : get(data(b), rv, true, data(e), 1));
      }
      TxnResponse r = client.readTxn(read.build(), "conflict check read");
      for (int i = from; i < to; i += 2) {
        RangeResponse rr = r.getResponses((i - from) / 2).getResponseRange();
        if (wanted.get(i + 1) == null) {
          equal.put(wanted.get(i), rr.getKvsCount() == 0 ? 0L : rr.getKvs(0).getModRevision());
        } else if (rr.getKvsCount() > 0) {
          equal.put(userKey(rr.getKvs(0).getKey()), rr.getKvs(0).getModRevision());
        }
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

  private void checkOpCount(int compares, int success, int failure) {
    int ops = Math.max(compares, Math.max(success, failure));
    if (ops > maxTxnOps) {
      throw CatenaException.of(Errno.E2BIG, "kv %s: this commit needs %d etcd operations in one transaction"
          + " (%d compares for its conflict-tracked reads and counters, %d writes), more than etcd's --max-txn-ops"
          + " limit of %d (kv.etcd.max_txn_ops); etcd transactions are never split: make the transaction smaller",
          url, ops, compares, success, maxTxnOps);
    }
  }

  private void checkSize(TxnRequest request) {
    long size = request.getSerializedSize();
    if (size > maxRequestBytes) {
      throw CatenaException.of(Errno.EFBIG, "kv %s: this commit is a %d-byte etcd request, more than etcd's"
          + " --max-request-bytes limit of %d (kv.etcd.max_request_bytes); etcd transactions are never split:"
          + " make the transaction smaller", url, size, maxRequestBytes);
    }
  }

  // ---------------------------------------------------------------------------------------------- leases

  private long lease() {
    synchronized (leaseLock) {
      long now = System.nanoTime();
      if (leaseId == 0 || now - leaseGrantedNanos > leaseTtlSeconds * 500_000_000L) {
        leaseId = client.grantLease(leaseTtlSeconds);
        leaseGrantedNanos = now; // measured before the grant: the lease lives at least this long after it
      }
      return leaseId;
    }
  }

  private void leaseGone(long id) {
    synchronized (leaseLock) {
      if (leaseId == id) {
        leaseId = 0;
      }
    }
  }

  // ------------------------------------------------------------------------------------------ transaction

  /**
   * One transaction's view of etcd at its read revision, and the log of what its reads revealed (for the commit's
   * compares). Confined to its transaction's thread, like the transaction.
   */
  private final class EtcdTxn implements EngineCore, Snapshot {
    final long readRevision;
    final long beganMillis;
    final ReadLog log = new ReadLog();

    EtcdTxn(long readRevision, long beganMillis) {
      this.readRevision = readRevision;
      this.beganMillis = beganMillis;
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
      checkOpen();
      checkAge();
    }

    @Override
    public long commit(CommitRequest request) {
      return EtcdKvEngine.this.commit(this, request);
    }

    @Override
    public byte[] get(byte[] key) {
      checkOpen();
      RangeResponse r = client.range(RangeRequest.newBuilder().setKey(data(key)).setRevision(readRevision).build(),
          "read");
      byte[] k = key.clone();
      log.cover(k, Keys.keyAfter(k));
      if (r.getKvsCount() == 0) {
        return null;
      }
      KeyValue kv = r.getKvs(0);
      log.saw(k, kv.getModRevision());
      return kv.getValue().toByteArray();
    }

    @Override
    public void scan(byte[] begin, byte[] end, boolean reverse, Visitor visitor) {
      byte[] lo = begin.clone();
      byte[] hi = end.clone();
      long page = FIRST_PAGE;
      while (Keys.compare(lo, hi) < 0) {
        checkOpen();
        RangeRequest.Builder q = RangeRequest.newBuilder().setKey(data(lo)).setRangeEnd(data(hi))
            .setRevision(readRevision).setLimit(page);
        if (reverse) {
          q.setSortOrder(RangeRequest.SortOrder.DESCEND).setSortTarget(RangeRequest.SortTarget.KEY);
        }
        RangeResponse r;
        try {
          r = client.range(q.build(), "range read");
        } catch (EtcdClient.ResponseTooLarge e) {
          if (page == 1) {
            throw CatenaException.of(Errno.EFBIG, "kv %s: one value is larger than this client accepts: %s", url,
                e.getMessage());
          }
          page = 1;
          continue;
        }
        int n = r.getKvsCount();
        byte[][] keys = new byte[n][];
        long bytes = 0;
        for (int i = 0; i < n; i++) {
          KeyValue kv = r.getKvs(i);
          keys[i] = userKey(kv.getKey());
          log.saw(keys[i].clone(), kv.getModRevision());
          bytes += kv.getKey().size() + kv.getValue().size();
        }
        boolean more = r.getMore() && n > 0;
        // Everything this answer covers is known at the read revision, including the gaps between its keys.
        if (!more) {
          log.cover(lo.clone(), hi.clone());
        } else if (reverse) {
          log.cover(keys[n - 1].clone(), hi.clone());
        } else {
          log.cover(lo.clone(), Keys.keyAfter(keys[n - 1]));
        }
        for (int i = 0; i < n; i++) {
          if (!visitor.visit(keys[i], r.getKvs(i).getValue().toByteArray())) {
            return;
          }
        }
        if (!more) {
          return;
        }
        if (reverse) {
          hi = keys[n - 1];
        } else {
          lo = Keys.keyAfter(keys[n - 1]);
        }
        long next = Math.min(MAX_PAGE, page * 4);
        if (bytes > 0) {
          next = Math.min(next, Math.max(1, PAGE_BYTES * n / bytes));
        }
        page = next;
      }
    }

    @Override
    public void release() {}
  }

  /**
   * What one transaction's reads revealed at its read revision: the mod revision of every key seen, and the
   * disjoint intervals whose complete content is known (a point read covers its key, a range page the span it
   * answered for). Not thread-safe; owned by one transaction.
   */
  static final class ReadLog {
    private final TreeMap<byte[], Long> mods = new TreeMap<>(Keys.ORDER);
    private final TreeMap<byte[], byte[]> covered = new TreeMap<>(Keys.ORDER);

    void saw(byte[] key, long modRevision) {
      mods.put(key, modRevision);
    }

    void cover(byte[] b, byte[] e) {
      if (Keys.compare(b, e) >= 0) {
        return;
      }
      Map.Entry<byte[], byte[]> lo = covered.floorEntry(b);
      if (lo != null && Keys.compare(lo.getValue(), b) >= 0) {
        b = lo.getKey();
        if (Keys.compare(lo.getValue(), e) > 0) {
          e = lo.getValue();
        }
        covered.remove(lo.getKey());
      }
      Map.Entry<byte[], byte[]> next;
      while ((next = covered.ceilingEntry(b)) != null && Keys.compare(next.getKey(), e) <= 0) {
        if (Keys.compare(next.getValue(), e) > 0) {
          e = next.getValue();
        }
        covered.remove(next.getKey());
      }
      covered.put(b, e);
    }

    /** The end of the known interval holding {@code key}, or null. */
    private byte[] coveredEnd(byte[] key) {
      Map.Entry<byte[], byte[]> lo = covered.floorEntry(key);
      return lo != null && Keys.compare(lo.getValue(), key) > 0 ? lo.getValue() : null;
    }

    /** The key's mod revision at the read revision (0: absent), or -1 if the reads did not reveal it. */
    long modOf(byte[] key) {
      if (coveredEnd(key) == null) {
        return -1;
      }
      Long m = mods.get(key);
      return m == null ? 0 : m;
    }

    /**
     * The smallest key present in {@code [b, e)} at the read revision as {@code {key}}, {@code {}} if the range was
     * empty, or null if the reads did not reveal it.
     */
    byte[][] firstKey(byte[] b, byte[] e) {
      byte[] end = coveredEnd(b);
      if (end == null) {
        return null;
      }
      byte[] k = mods.ceilingKey(b);
      if (k != null && Keys.compare(k, e) < 0 && Keys.compare(k, end) < 0) {
        return new byte[][] {k};
      }
      return Keys.compare(end, e) >= 0 ? new byte[0][] : null;
    }
  }
}
