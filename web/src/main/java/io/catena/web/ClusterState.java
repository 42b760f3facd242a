package io.catena.web;

import io.catena.common.CatenaException;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.cluster.TargetInfo;
import io.catena.mgmtd.ClientSession;
import io.catena.mgmtd.MgmtdService;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The cluster as mgmtd describes it at one moment (one routing snapshot and the client sessions), or why it could not
 * be had. Immutable; {@link Source} fetches and caches it.
 */
record ClusterState(long millis, long routingVersion, List<NodeInfo> nodes, List<TargetInfo> targets,
    List<ChainInfo> chains, List<ClientSession> sessions, String error) {

  /**
   * Asks mgmtd with a time limit (a dashboard page must not hang with mgmtd) and keeps the answer briefly, so several
   * open pages cost mgmtd one call per refresh period. When mgmtd does not answer, the last good state is served with
   * the error. Thread-safe: synchronized.
   */
  static final class Source {
    private static final long TIMEOUT_MILLIS = 2000;
    private final MgmtdService mgmtd;
    private final String clusterId;
    private final Clock clock;
    private final long maxAgeMillis;
    private ClusterState last = new ClusterState(0, 0, List.of(), List.of(), List.of(), List.of(), "not asked yet");
    private ClusterState lastGood;

    Source(MgmtdService mgmtd, String clusterId, Clock clock, long maxAgeMillis) {
      this.mgmtd = mgmtd;
      this.clusterId = clusterId;
      this.clock = clock;
      this.maxAgeMillis = maxAgeMillis;
    }

    String clusterId() {
      return clusterId;
    }

    synchronized ClusterState get() {
      long now = clock.millis();
      if (last.millis() != 0 && now - last.millis() < maxAgeMillis) {
        return last;
      }
      CompletableFuture<ClusterState> f = CompletableFuture.supplyAsync(() -> {
        RoutingInfo r = mgmtd.getRoutingInfo(clusterId, -1).orElseThrow();
        return new ClusterState(clock.millis(), r.version(), List.copyOf(r.nodes()), List.copyOf(r.targets()),
            List.copyOf(r.chains()), mgmtd.listSessions(clusterId), null);
      }, r -> Thread.ofVirtual().start(r));
      try {
        last = f.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        lastGood = last;
      } catch (TimeoutException e) {
        f.cancel(true);
        last = failed(now, "mgmtd did not answer within " + TIMEOUT_MILLIS + " ms");
      } catch (ExecutionException e) {
        last = failed(now, "mgmtd: " + CatenaException.statusOf(e.getCause()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        last = failed(now, "interrupted");
      }
      return last;
    }

    private ClusterState failed(long now, String why) {
      ClusterState g = lastGood;
      return g == null ? new ClusterState(now, 0, List.of(), List.of(), List.of(), List.of(), why)
          : new ClusterState(now, g.routingVersion(), g.nodes(), g.targets(), g.chains(), g.sessions(),
              why + " (showing what it said at " + Html.clock(g.millis()) + " UTC)");
    }
  }
}
