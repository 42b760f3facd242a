package io.catena.storage.service;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.cluster.RoutingInfo;
import java.util.Optional;

/**
 * Decides whether one of this node's targets may take a request sent with the sender's view of its chain: the target
 * is here and not fenced, both sides agree on the chain version, and the target's state in the chain allows the
 * request. Refusals are the statuses of the storage protocol (see the package documentation). Thread-safe: no state
 * of its own beyond the thread-safe target manager and routing watcher.
 */
final class TargetGuard {
  private final TargetManager targets;
  private final RoutingWatcher routing;

  TargetGuard(TargetManager targets, RoutingWatcher routing) {
    this.targets = targets;
    this.routing = routing;
  }

  /** The target, if it is on this node and not fenced. */
  Target target(long targetId) {
    Target t = targets.get(targetId).orElseThrow(
        () -> CatenaException.of(Errno.ENXIO, "no target %d on this node", targetId));
    if (t.fenced()) {
      throw CatenaException.retryable(Errno.EAGAIN, "%s is offline on this node", t);
    }
    return t;
  }

  /**
   * The chain at exactly the sender's version, or a retryable error: ESTALE when the sender's routing is older
   * (it refreshes and retries), EAGAIN when ours is older (after asking for a newer one).
   */
  ChainInfo checkChain(Target t, long chainId, long chainVersion) {
    if (t.chainId() != chainId) {
      throw CatenaException.of(Errno.ENXIO, "%s does not belong to chain %d", t, chainId);
    }
    RoutingInfo r = routing.current();
    Optional<ChainInfo> ch = r.chain(chainId);
    if (ch.isEmpty() || ch.get().version() < chainVersion) {
      r = routing.awaitNewer(r.version());
      ch = r.chain(chainId);
    }
    if (ch.isEmpty()) {
      throw CatenaException.retryable(Errno.EAGAIN, "chain %d is not in this node's routing v%d", chainId,
          r.version());
    }
    ChainInfo c = ch.get();
    // Stale first: a member taken out of the chain (a drain, update-chain --remove) still gets requests from
    // senders with the old routing, and they must refresh and retry, not fail.
    if (c.version() > chainVersion) {
      throw CatenaException.retryable(Errno.ESTALE, "chain %d version %d is stale (current %d): refresh routing",
          chainId, chainVersion, c.version());
    }
    if (!c.contains(t.targetId())) {
      throw CatenaException.of(Errno.ENXIO, "%s is not a member of %s", t, c);
    }
    if (c.version() < chainVersion) {
      throw CatenaException.retryable(Errno.EAGAIN, "chain %d version %d is newer than this node's %d",
          chainId, chainVersion, c.version());
    }
    return c;
  }

  /** A member that serves reads; {@code chainVersion} 0 skips the version check. */
  Target readable(long targetId, long chainId, long chainVersion) {
    Target t = target(targetId);
    ChainInfo c = chainVersion == 0
        ? routing.current().chain(chainId).orElseThrow(() -> CatenaException.retryable(Errno.EAGAIN,
            "chain %d unknown here", chainId))
        : checkChain(t, chainId, chainVersion);
    if (!c.contains(t.targetId()) || t.chainId() != c.chainId()) {
      throw CatenaException.of(Errno.ENXIO, "%s is not a member of %s", t, c);
    }
    requireState(t, c, false);
    requireUpToDate(t);
    if (t.loadedAtStart() && !t.seenNotServing()) {
      // Restarted while routing still shows it serving: it may have missed writes; mgmtd will take it through
      // offline and sync first.
      throw CatenaException.retryable(Errno.EAGAIN, "%s restarted and is not yet resynced", t);
    }
    return t;
  }

  static void requireState(Target t, ChainInfo c, boolean forWrites) {
    PublicTargetState s = c.stateOf(t.targetId()).orElseThrow();
    if (forWrites ? !s.receivesWrites() : !s.canRead()) {
      throw CatenaException.retryable(Errno.EAGAIN, "%s is %s in %s: not %s", t, s, c,
          forWrites ? "receiving writes" : "serving reads");
    }
  }

  /**
   * Reads only from a target holding every committed write: mgmtd tells a draining target's node to stop serving
   * it (STOP_SERVING_TARGET) before the target leaves its chain, so that readers with older routing go elsewhere.
   */
  static void requireUpToDate(Target t) {
    if (!t.upToDate()) {
      throw CatenaException.retryable(Errno.EAGAIN, "%s is not up to date here: read another replica", t);
    }
  }

  static void requireHead(Target t, ChainInfo c) {
    if (c.head().orElse(0L) != t.targetId()) {
      requireState(t, c, true);
      throw CatenaException.of(Errno.ENXIO, "%s is not the head of %s", t, c);
    }
  }
}
