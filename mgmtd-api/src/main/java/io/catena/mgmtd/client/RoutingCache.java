package io.catena.mgmtd.client;

import io.catena.common.CatenaException;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.cluster.RoutingSource;
import io.catena.common.config.Config;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routing info a process works from, kept fresh from mgmtd. Three ways a newer version arrives: a poll every
 * {@code mgmtd.client.routing_refresh_interval} ({@code getRoutingInfo(sinceVersion)}, which returns nothing when
 * unchanged, so a quiet cluster costs one tiny round trip per interval); the push hint of heartbeat replies
 * ({@link MgmtdClient#noteRoutingVersion}, which a {@link NodeAgent} on the same client feeds, so services refetch
 * within one heartbeat of a change); and {@link #refresh} after a peer rejected a stale chain version.
 *
 * <p>Why not a server push stream: a heartbeat already reaches mgmtd every few seconds from every service, and
 * carrying the version in its reply costs eight bytes; clients without heartbeats poll. A long-poll can be added
 * behind the same interface if routing latency ever matters more.
 *
 * <p>Thread-safe: fetches are serialised, {@link #current()} is a volatile read, subscribers are called in version
 * order on the fetching thread and must not block.
 */
public final class RoutingCache implements RoutingSource, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RoutingCache.class);

  private final MgmtdClient client;
  private final Duration interval;
  private final ScheduledExecutorService executor;
  private final CopyOnWriteArrayList<Consumer<RoutingInfo>> listeners = new CopyOnWriteArrayList<>();
  private final Object fetchLock = new Object();
  private final AutoCloseable hintSubscription;
  private volatile RoutingInfo current = RoutingInfo.empty();
  private volatile boolean started;

  /**
   * Fetches the routing info once (blocking, bounded by {@code mgmtd.client.timeout}). If mgmtd cannot be reached,
   * the cache starts empty (version 0) and keeps trying once started: a service may come up before mgmtd.
   */
  public RoutingCache(MgmtdClient client, Config config) {
    this.client = Objects.requireNonNull(client, "client");
    this.interval = config.get(MgmtdClientConfig.ROUTING_REFRESH_INTERVAL);
    this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "routing-cache");
      t.setDaemon(true);
      return t;
    });
    try {
      fetch();
    } catch (CatenaException e) {
      log.warn("no routing info from mgmtd yet ({}); starting empty and retrying every {}", e.status(), interval);
    }
    this.hintSubscription = client.onRoutingVersion(v -> {
      if (v > current.version()) {
        try {
          executor.execute(this::fetchQuietly);
        } catch (RejectedExecutionException ignored) {
          // closed
        }
      }
    });
  }

  /** Starts polling every {@code mgmtd.client.routing_refresh_interval}. */
  public synchronized void start() {
    if (started) {
      return;
    }
    started = true;
    executor.scheduleWithFixedDelay(this::fetchQuietly, interval.toMillis(), interval.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  @Override
  public RoutingInfo current() {
    return current;
  }

  /** Fetches now unless a version newer than {@code seenVersion} is already here; blocks up to the client timeout. */
  @Override
  public RoutingInfo refresh(long seenVersion) {
    if (current.version() > seenVersion) {
      return current;
    }
    synchronized (fetchLock) {
      if (current.version() > seenVersion) {
        return current;
      }
      fetch();
      return current;
    }
  }

  @Override
  public AutoCloseable subscribe(Consumer<RoutingInfo> listener) {
    listeners.add(Objects.requireNonNull(listener));
    return () -> listeners.remove(listener);
  }

  @Override
  public void close() {
    try {
      hintSubscription.close();
    } catch (Exception ignored) {
      // removing from a list does not fail
    }
    executor.shutdownNow();
  }

  private void fetchQuietly() {
    try {
      fetch();
    } catch (CatenaException e) {
      log.warn("routing refresh failed: {}", e.status());
    } catch (RuntimeException e) {
      log.warn("routing refresh failed", e);
    }
  }

  private void fetch() {
    synchronized (fetchLock) {
      long have = current.version();
      Optional<RoutingInfo> got = client.service().getRoutingInfo(client.clusterId(), have);
      // Versions live in the KV store and only grow, even across mgmtd failover: an older one is a stale reply.
      if (got.isEmpty() || got.get().version() <= have) {
        return;
      }
      current = got.get();
      log.debug("routing info now {}", current);
      for (Consumer<RoutingInfo> l : listeners) {
        try {
          l.accept(current);
        } catch (RuntimeException e) {
          log.warn("routing subscriber failed: {}", e.toString());
        }
      }
    }
  }
}
