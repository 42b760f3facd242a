package io.catena.kv.etcd;

import io.catena.common.CatenaException;
import io.catena.common.Status;
import io.catena.common.config.Config;
import io.catena.kv.CommitUnknownException;
import io.catena.kv.KvConfig;
import io.catena.kv.KvEngine;
import io.catena.kv.KvFaults;
import io.catena.kv.ReadTransaction;
import io.catena.kv.ReadWriteTransaction;
import io.catena.kv.core.CommitRequest;
import io.catena.kv.core.Transaction;
import io.catena.common.retry.Retrier;
import io.catena.common.retry.RetryPolicy;
import io.catena.common.retry.Sleeper;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * The {@code etcd://host:port[,host:port...]/prefix} engine: Catena's transactions on an etcd 3.4+ cluster, every
 * key under the URL's prefix, every commit one etcd transaction ({@code If} compares, {@code Then} writes).
 *
 * <h2>Key space</h2>
 * For prefix {@code p}: user key {@code k} is stored at {@code p:d<k>}; conflict markers (below) live at
 * {@code p:c<k>}; {@code p:v} is never written (a bare read of it learns the current revision). ':' cannot occur in
 * a prefix ({@link EtcdUrl}), so no prefix's key space contains another's, and every range is mapped inside
 * {@code [p:d, p:e)}: no read, clear or compare leaves the prefix, and users never see markers.
 *
 * <h2>Reads and versions</h2>
 * A begin sends nothing. A transaction's read version R is fixed by its first read, which is linearizable and carries
 * no revision: etcd answers at its latest revision and names it in the answer's header, and that revision is R. The
 * read was sent after the begin, so R includes everything acknowledged before the transaction began (FoundationDB also
 * fixes a read version at first use). A transaction that needs R before reading anything (its {@code readVersion()}, or
 * a read conflict it records first) fixes it then with a bare linearizable read. Every later read is a range request at
 * revision R, so all reads see one snapshot; history up to R never changes, so those are served serializably by any
 * member, and sent again linearizably only by a member that has not applied R yet ({@link EtcdReader}). Reads of a
 * compacted revision fail with a retryable "transaction too old". Writes are buffered in the shared {@link Transaction}
 * (read-your-writes, clearRange and pending atomic adds merged into reads, exactly as the local engines do). The commit
 * version is the revision etcd assigns to the commit. A blind write (no conflict-tracked read) never fixes R: it is
 * serializable at its commit revision.
 *
 * <h2>The mirror ({@code kv.etcd.mirror}, on by default)</h2>
 * {@link EtcdMirror} keeps a watch-fed, multi-version copy of the prefix in memory. A transaction's first read then
 * asks etcd only for the current revision (linearizably, in a request shared by every transaction beginning
 * meanwhile, and never below this process's last commit), waits until the mirror has applied it (at most
 * {@code kv.etcd.mirror_wait}) and serves that read and every later one from the mirror at one fixed revision, with
 * the same mod revisions etcd would have returned, so the compares below are unchanged: a read the mirror got wrong
 * could only fail a commit, never let a wrong one through. A mirror that is behind, relisting or off leaves the
 * transaction reading from etcd as described above. See docs/etcd-mirror.md.
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
 * <h2>Batching</h2>
 * Concurrent transactions share etcd requests, one outstanding at a time per kind, the rest waiting for the next
 * ({@link Batcher}). Reads ({@link EtcdReader}): every read of every waiting transaction goes into one read-only etcd
 * transaction, each at its own revision; if any needs a fresh revision (a first read) the request is linearizable,
 * and since it was sent after each of its transactions began, each still sees every commit acknowledged before its
 * begin (FoundationDB's batched read versions). {@code prefetch} hands one transaction's known next reads over in one
 * request. Commits ({@link GroupCommit}): each commit's etcd transaction, unchanged, becomes one nested transaction of
 * a combined request, whose answer holds each member's own outcome, so a conflicting member fails alone; members
 * whose keys overlap (one reads or writes what another writes, two adds to one counter included) never share a
 * request, which makes the combined outcome that of running the members one after another. A commit's unknown
 * outcome (no answer) is every member's.
 *
 * <h2>Limits and failures</h2>
 * etcd's {@code --max-txn-ops} and {@code --max-request-bytes} (mirrored in {@code kv.etcd.max_txn_ops} and
 * {@code kv.etcd.max_request_bytes}) are checked on the exact request before sending, and etcd's own refusals are mapped: both
 * are non-retryable errors naming the limit; a commit is never split (etcd counts a nested level's ops against what the
 * level above leaves, which the check and the group commit both account for). A compare failure is a retryable EAGAIN,
 * as in the other engines. A deadline ({@code kv.etcd.request_timeout}) or a broken connection after the request was
 * sent is a {@link CommitUnknownException}; a request refused before it reached raft (no connection, no leader) is a
 * plain retryable error. {@link KvFaults} are drawn once per commit with writes.
 *
 * <p>Thread-safe: any number of threads may run transactions; each transaction belongs to one thread.
 */
public final class EtcdKvEngine implements KvEngine {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(EtcdKvEngine.class);
  private final String url;
  private final String prefix;
  private final Clock clock;
  private final long windowMillis;
  private final EtcdClient client;
  private final EtcdReader reader;
  private final Committer committer;
  private final GroupCommit groupCommit;
  /** Null when kv.etcd.mirror is off. */
  private final EtcdMirror mirror;
  /** Fences and bounded-staleness reads from the mirror; null when the mirror is off. */
  private final RecentReads recent;
  /** The newest revision a commit of this process was acknowledged at: no transaction reads below it. */
  private final java.util.concurrent.atomic.AtomicLong lastCommit = new java.util.concurrent.atomic.AtomicLong();
  private volatile boolean closed;

  private EtcdKvEngine(String url, EtcdUrl parsed, Config config, KvFaults faults, Clock clock) {
    this.url = url;
    this.prefix = parsed.prefix();
    this.clock = clock;
    Duration window = KvConfig.get(config, KvConfig.CONFLICT_WINDOW);
    Duration requestTimeout = KvConfig.get(config, EtcdConfig.REQUEST_TIMEOUT);
    this.windowMillis = window.toMillis();
    int maxTxnOps = KvConfig.get(config, EtcdConfig.MAX_TXN_OPS);
    long maxRequestBytes = KvConfig.get(config, EtcdConfig.MAX_REQUEST_BYTES).bytes();
    long leaseTtlSeconds = 2 * (window.toSeconds() + requestTimeout.toSeconds() + 2) + 60;
    // Any single value up to the request limit must fit in one answer, with room for a page of small ones.
    int maxInbound = (int) Math.min(Integer.MAX_VALUE, Math.max(64L << 20, 2 * maxRequestBytes + (1 << 20)));
    this.client = new EtcdClient(url, parsed, KvConfig.get(config, EtcdConfig.USER),
        KvConfig.get(config, EtcdConfig.PASSWORD), requestTimeout, KvConfig.get(config, EtcdConfig.CONNECT_TIMEOUT),
        maxInbound);
    EtcdKeys keys = new EtcdKeys(prefix);
    this.reader = new EtcdReader(client, keys, maxTxnOps);
    this.groupCommit = new GroupCommit(client, maxTxnOps, maxRequestBytes);
    this.committer = new Committer(keys, new CommitBuilder(keys, reader, url, maxTxnOps), reader, groupCommit,
        new Leases(client, leaseTtlSeconds), faults, url, maxRequestBytes);
    this.mirror = KvConfig.get(config, EtcdConfig.MIRROR)
        ? new EtcdMirror(client, keys, clock, windowMillis, KvConfig.get(config, EtcdConfig.MIRROR_WAIT),
            KvConfig.get(config, EtcdConfig.MIRROR_RETRY), url)
        : null;
    this.recent = mirror == null ? null
        : new RecentReads(mirror, reader::currentRevision, clock, mirror::runInBackground);
  }

  /**
   * Connects to the cluster named by {@code url} (authenticating when {@code kv.etcd.user} is set) and checks that
   * it answers; throws a CatenaException saying why not otherwise.
   */
  public static EtcdKvEngine open(String url, Config config, KvFaults faults, Clock clock) {
    return open(url, config, faults, clock, null);
  }

  /** Tests: {@code mirrorBeforeWatch} runs between each mirror listing and its watch. */
  static EtcdKvEngine open(String url, Config config, KvFaults faults, Clock clock, Runnable mirrorBeforeWatch) {
    EtcdUrl parsed = EtcdUrl.parse(url);
    EtcdKvEngine e = new EtcdKvEngine(url, parsed, config, faults, clock);
    if (mirrorBeforeWatch != null && e.mirror != null) {
      e.mirror.beforeWatch(mirrorBeforeWatch);
    }
    // A process started together with etcd (or during an election) must not die of etcd's first slow answer.
    Retrier.Attempts attempts = new Retrier(RetryPolicy.untilDeadline(Duration.ofMillis(100), Duration.ofSeconds(2),
        KvConfig.get(config, EtcdConfig.OPEN_TIMEOUT)), clock, new SplittableRandom(), Sleeper.system()).begin();
    try {
      while (true) {
        try {
          e.client.authenticate();
          e.reader.currentRevision();
          if (e.mirror != null) {
            e.mirror.start();
          }
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
      e.closeMirror();
      e.client.close();
      if (ex instanceof CatenaException ce) {
        throw new CatenaException(new Status(ce.errno(), "kv engine " + url + ": cannot open: "
            + ce.status().message(), ce.isRetryable(), Optional.empty()));
      }
      throw ex;
    }
  }

  /**
   * Counts for benchmarks, since open: {read requests sent, reads they carried, commit requests sent, commits they
   * carried} (the carried counts include resends).
   */
  public long[] requestCounts() {
    long[] r = reader.counts();
    long[] c = groupCommit.counts();
    return new long[] {r[0], r[1], c[0], c[1]};
  }

  /** The key-space name of the URL. */
  public String prefix() {
    return prefix;
  }

  @Override
  public ReadTransaction beginRead() {
    return begin(true, 0);
  }

  /** With the mirror, served from it without a round trip while a recent fence proves it fresh enough. */
  @Override
  public ReadTransaction beginRead(Duration maxStaleness) {
    return begin(true, maxStaleness.toMillis());
  }

  /** Only the mirror answers behind: without it every read is at the latest revision. */
  @Override
  public boolean readsMayLag() {
    return mirror != null;
  }

  @Override
  public ReadWriteTransaction beginReadWrite() {
    return begin(false, 0);
  }

  private Transaction begin(boolean readOnly, long maxStalenessMillis) {
    checkOpen();
    EtcdTxn t = new EtcdTxn(this, reader, mirror, recent, clock, windowMillis, maxStalenessMillis);
    return new Transaction(t, t, t::revision, readOnly);
  }

  long commit(EtcdTxn t, CommitRequest req) {
    checkOpen();
    long v = committer.commit(t, req);
    lastCommit.accumulateAndGet(v, Math::max);
    return v;
  }

  long lastCommitRevision() {
    return lastCommit.get();
  }

  /** The mirror (null when kv.etcd.mirror is off); package-private for tests. */
  EtcdMirror mirror() {
    return mirror;
  }

  /**
   * Mirror counts for benchmarks, since open: {transactions served from the mirror, transactions that found it
   * behind and read from etcd, generations started, transactions of those served that needed no fence of their own
   * (bounded-staleness reads)}; zeros when the mirror is off.
   */
  public long[] mirrorCounts() {
    if (mirror == null) {
      return new long[4];
    }
    long[] c = mirror.counts();
    return new long[] {c[0], c[1], c[2], recent.served()};
  }

  private void closeMirror() {
    if (mirror != null) {
      mirror.close();
    }
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
    closeMirror();
    client.close();
  }

  void checkOpen() {
    if (closed) {
      throw client.shutdown();
    }
  }
}
