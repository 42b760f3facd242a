package io.catena.kv.etcd;

import com.google.protobuf.ByteString;
import io.catena.kv.Keys;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A watch-fed, in-memory, multi-version copy of the engine's prefix, so that transactions read locally (see
 * docs/etcd-mirror.md).
 *
 * <p>A generation ({@link MirrorStore}) starts by listing the prefix's data in pages at one revision L (the first
 * page linearizable, the others at L), then watches the prefix's whole key space (data, markers, probe) from L+1 and
 * applies every event in revision order; its {@code applied} revision is the newest one whose events are all in.
 * A broken, cancelled or compacted watch ends the generation at once (no new transaction uses it; those already
 * pinned to it keep reading it, since history up to its applied revision is still exact) and a new one is listed
 * after {@code kv.etcd.mirror_retry}.
 *
 * <p>Freshness: {@link #begin} is given a revision the caller read linearizably after its transaction began (so it
 * covers every commit acknowledged before the begin) and returns a view only once {@code applied} has reached it,
 * waiting at most {@code kv.etcd.mirror_wait}; otherwise null, and the transaction reads from etcd. The view is
 * pinned at the store's applied revision (at least the one asked for: a later snapshot is as linearizable). After a
 * timeout the mirror counts as behind until it applies the revision that timed out, and {@link #usable} says no
 * meanwhile, so a mirror that cannot keep up (or a prefix that is quiet while other prefixes move etcd's revision)
 * costs one timeout, not one per transaction.
 *
 * <p>Thread-safe: watch answers arrive one at a time on a transport thread and are applied under {@code applyLock};
 * listing and restarts run on the mirror's own thread; waiters wait on this object's monitor.
 */
final class EtcdMirror implements AutoCloseable {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(EtcdMirror.class);
  /** Keys per listing page: bounded memory per answer whatever the prefix's size. */
  private static final int PAGE_KEYS = 512;

  private final EtcdClient client;
  private final EtcdKeys keys;
  private final Clock clock;
  private final long windowMillis;
  private final long waitNanos;
  private final long retryMillis;
  private final String url;
  private final ScheduledExecutorService thread;
  private final Object applyLock = new Object();
  private final AtomicLong served = new AtomicLong();
  private final AtomicLong fellBack = new AtomicLong();
  private final AtomicLong generations = new AtomicLong();
  /** The generation new transactions may use; null while (re)listing or after the watch broke. */
  private volatile MirrorStore current;
  /** A revision a waiter timed out on: the mirror is behind until it has applied it. */
  private volatile long behindUntil;
  private volatile boolean closed;
  private int waiters; // guarded by this
  /** Tests: hold watch answers back instead of applying them (guarded by applyLock). */
  private List<Runnable> held;
  /** Tests: runs on the mirror thread between a listing and its watch. */
  private volatile Runnable beforeWatch = () -> { };
  /** The open watch, to cancel at close (guarded by applyLock). */
  private Watch watch;

  /** A transaction's pinned view: read {@code store} at {@code pin.revision}, then {@link #release}. */
  record View(MirrorStore store, ReadPins.Pin pin) {
    long revision() {
      return pin.revision;
    }

    void release() {
      store.pins().unpin(pin);
    }
  }

  EtcdMirror(EtcdClient client, EtcdKeys keys, Clock clock, long windowMillis, Duration wait, Duration retry,
      String url) {
    this.client = client;
    this.keys = keys;
    this.clock = clock;
    this.windowMillis = windowMillis;
    this.waitNanos = wait.toNanos();
    this.retryMillis = Math.max(1, retry.toMillis());
    this.url = url;
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "catena-etcd-mirror");
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts the first generation in the background; reads go to etcd until it is ready. */
  void start() {
    schedule(0);
  }

  /** Whether a beginning transaction should ask for a revision and {@link #begin} with it. */
  boolean usable() {
    MirrorStore s = current;
    return s != null && s.applied() >= behindUntil;
  }

  /**
   * A view at a revision of at least {@code needed}, pinned until released, or null if the mirror has not applied
   * {@code needed} within {@code kv.etcd.mirror_wait} (or has no current generation): read from etcd then.
   */
  View begin(long needed, long beganMillis) {
    MirrorStore s = current;
    if (s == null || s.applied() < needed) {
      s = awaitApplied(needed);
    }
    if (s == null) {
      fellBack.incrementAndGet();
      return null;
    }
    served.incrementAndGet();
    return new View(s, s.pins().pin(s, beganMillis));
  }

  private MirrorStore awaitApplied(long needed) {
    MirrorStore s = waitApplied(needed, waitNanos, false);
    MirrorStore now = current;
    if (s == null && now != null && !closed) {
      // Timed out: the mirror counts as behind until it has applied what we waited for.
      synchronized (this) {
        if (needed > behindUntil) {
          behindUntil = needed;
        }
      }
      LOG.debug("kv engine {}: mirror at revision {} did not reach {} in time; reading from etcd", url,
          now.applied(), needed);
    }
    return s;
  }

  /**
   * Waits until a current generation has applied {@code needed} and returns it; null at the deadline, once
   * closed, or (unless {@code forAGeneration}) as soon as there is no current generation.
   */
  private MirrorStore waitApplied(long needed, long timeoutNanos, boolean forAGeneration) {
    long deadline = System.nanoTime() + timeoutNanos;
    synchronized (this) {
      waiters++;
      try {
        while (true) {
          MirrorStore s = current;
          if (closed || (s == null && !forAGeneration)) {
            return null;
          }
          if (s != null && s.applied() >= needed) {
            return s;
          }
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            return null;
          }
          try {
            TimeUnit.NANOSECONDS.timedWait(this, left);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
          }
        }
      } finally {
        waiters--;
      }
    }
  }

  private void wakeWaiters() {
    synchronized (this) {
      if (waiters > 0) {
        notifyAll();
      }
    }
  }

  /** Runs {@code task} on the mirror's thread (after a listing in progress); refused once closed. */
  void runInBackground(Runnable task) {
    thread.execute(task);
  }

  // ---------------------------------------------------------------------------------------------- generations

  private void schedule(long delayMillis) {
    if (closed) {
      return;
    }
    try {
      thread.schedule(this::startGeneration, delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // closing
    }
  }

  private void startGeneration() {
    if (closed) {
      return;
    }
    MirrorStore s;
    try {
      s = list();
      beforeWatch.run();
    } catch (RuntimeException e) {
      LOG.info("kv engine {}: mirror cannot list the prefix ({}); reads go to etcd, trying again in {} ms", url,
          e.getMessage(), retryMillis);
      schedule(retryMillis);
      return;
    }
    generations.incrementAndGet();
    Watch w = new Watch(s);
    synchronized (applyLock) {
      if (closed) {
        return;
      }
      watch = w;
      w.open();
    }
  }

  /** The prefix's data at one revision, page by page (the first page fixes the revision, linearizably). */
  private MirrorStore list() {
    ByteString[] span = keys.dataSpan();
    ByteString from = span[0];
    MirrorStore s = null;
    while (true) {
      RangeRequest.Builder q = RangeRequest.newBuilder().setKey(from).setRangeEnd(span[1]).setLimit(PAGE_KEYS);
      if (s != null) {
        q.setRevision(s.listed());
      }
      RangeResponse r = client.range(q.build(), "mirror listing");
      if (s == null) {
        s = new MirrorStore(r.getHeader().getRevision(), new ReadPins(clock, windowMillis));
      }
      for (KeyValue kv : r.getKvsList()) {
        s.load(keys.userKey(kv.getKey()), kv.getValue().toByteArray(), kv.getModRevision());
      }
      if (!r.getMore() || r.getKvsCount() == 0) {
        return s;
      }
      from = ByteString.copyFrom(Keys.keyAfter(r.getKvs(r.getKvsCount() - 1).getKey().toByteArray()));
    }
  }

  /** One generation's watch stream. Answers arrive one at a time. */
  private final class Watch implements StreamObserver<WatchResponse> {
    private final MirrorStore store;
    private StreamObserver<WatchRequest> requests;
    private boolean ended; // guarded by applyLock

    Watch(MirrorStore store) {
      this.store = store;
    }

    void open() {
      try {
        requests = client.watch(this);
        requests.onNext(WatchRequest.newBuilder().setCreateRequest(WatchCreateRequest.newBuilder()
            .setKey(keys.spaceBegin()).setRangeEnd(keys.spaceEnd()).setStartRevision(store.listed() + 1)).build());
      } catch (RuntimeException e) {
        end("cannot open the watch: " + e.getMessage());
      }
    }

    @Override
    public void onNext(WatchResponse r) {
      synchronized (applyLock) {
        if (held != null) {
          held.add(() -> handle(r));
          return;
        }
        handle(r);
      }
    }

    private void handle(WatchResponse r) {
      if (ended) {
        return;
      }
      if (r.getCanceled() || r.getCompactRevision() > 0) {
        end(r.getCompactRevision() > 0 ? "revision " + (store.listed() + 1) + " was compacted (now "
            + r.getCompactRevision() + ")" : "etcd cancelled the watch: " + r.getCancelReason());
        return;
      }
      if (r.getCreated()) {
        if (closed) {
          end("closed");
          return;
        }
        current = store;
        LOG.debug("kv engine {}: mirror ready at revision {} ({} keys)", url, store.listed(), store.size());
        wakeWaiters();
        return;
      }
      long last = 0;
      for (Event e : r.getEventsList()) {
        KeyValue kv = e.getKv();
        long rev = kv.getModRevision();
        if (keys.isData(kv.getKey())) {
          byte[] k = keys.userKey(kv.getKey());
          store.apply(k, e.getType() == Event.EventType.PUT ? kv.getValue().toByteArray() : null, rev);
        }
        last = Math.max(last, rev);
      }
      // etcd sends all events of one revision in one answer, in revision order: everything up to `last` is in.
      if (last > 0) {
        store.advanceTo(last);
        store.prune();
        wakeWaiters();
      }
    }

    @Override
    public void onError(Throwable t) {
      synchronized (applyLock) {
        end("watch broke: " + t.getMessage());
      }
    }

    @Override
    public void onCompleted() {
      synchronized (applyLock) {
        end("etcd closed the watch");
      }
    }

    /** Ends the generation (called with applyLock held, or before the stream opened) and plans the next. */
    private void end(String why) {
      if (ended) {
        return;
      }
      ended = true;
      if (current == store) {
        current = null;
      }
      wakeWaiters();
      if (requests instanceof ClientCallStreamObserver<WatchRequest> c) {
        try {
          c.cancel("mirror generation ended", null);
        } catch (RuntimeException ignored) {
          // already broken
        }
      }
      if (!closed) {
        LOG.info("kv engine {}: mirror stopped at revision {} ({}); reads go to etcd, listing again in {} ms",
            url, store.applied(), why, retryMillis);
        schedule(retryMillis);
      }
      if (watch == this) {
        watch = null;
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    current = null;
    synchronized (applyLock) {
      if (watch != null) {
        watch.end("closed");
      }
    }
    wakeWaiters();
    thread.shutdownNow();
  }

  // ------------------------------------------------------------------------------------------- observability

  /** {transactions served by the mirror, transactions that fell back to etcd, generations started}. */
  long[] counts() {
    return new long[] {served.get(), fellBack.get(), generations.get()};
  }

  /** The current generation's applied revision, or -1 without one. */
  long appliedRevision() {
    MirrorStore s = current;
    return s == null ? -1 : s.applied();
  }

  // ------------------------------------------------------------------------------------------------ testing

  /** Tests: while held, watch answers queue up unapplied (the mirror falls behind); false applies them. */
  void holdEvents(boolean hold) {
    List<Runnable> release;
    synchronized (applyLock) {
      if (hold) {
        if (held == null) {
          held = new ArrayList<>();
        }
        return;
      }
      release = held;
      held = null;
      if (release != null) {
        for (Runnable r : release) {
          r.run();
        }
      }
    }
  }

  /** Tests: runs between each listing and the watch that follows it (on the mirror's thread). */
  void beforeWatch(Runnable hook) {
    beforeWatch = hook;
  }

  /** Tests: waits until a generation is current and has applied {@code revision}; false on timeout. */
  boolean awaitCurrent(long revision, Duration timeout) {
    return waitApplied(revision, timeout.toNanos(), true) != null;
  }
}
