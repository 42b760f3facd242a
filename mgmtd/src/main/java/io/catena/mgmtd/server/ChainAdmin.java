package io.catena.mgmtd.server;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChainTable;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.cluster.TargetInfo;
import io.catena.mgmtd.ChainSpec;
import io.catena.mgmtd.ChainUpdate;
import io.catena.mgmtd.TargetSpec;
import io.catena.mgmtd.chain.ChainMembership;
import io.catena.mgmtd.chain.ChainStateMachine;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What operators do to targets, chains and chain tables: create and upload them, take a target offline, rotate a
 * chain's last serving target, add or remove chain members, remove a target.
 *
 * <p>Not thread-safe: guarded by {@link MgmtdServer}'s lock.
 */
final class ChainAdmin {
  private static final Logger log = LoggerFactory.getLogger(ChainAdmin.class);

  private final ClusterStore store;
  private final PrimaryLease lease;
  private final LiveState live;
  private final RoutingPublisher routing;
  private final ChainScanner chains;
  private final long nodeId;
  private final DrainStore drains;

  ChainAdmin(ClusterStore store, PrimaryLease lease, LiveState live, RoutingPublisher routing, ChainScanner chains,
      long nodeId, DrainStore drains) {
    this.drains = drains;
    this.store = store;
    this.lease = lease;
    this.live = live;
    this.routing = routing;
    this.chains = chains;
    this.nodeId = nodeId;
  }

  /** Creates the targets not stored yet (an identical one is no error) and returns all of them. */
  List<TargetInfo> createTargets(List<TargetSpec> specs) {
    lease.write(txn -> {
      Map<Long, NodeInfo> nodes = RoutingSnapshot.byId(store.nodes(txn), NodeInfo::nodeId);
      Map<Long, StoredTarget> existing = RoutingSnapshot.byId(store.targets(txn), StoredTarget::targetId);
      List<TargetSpec> fresh = ClusterValidator.targets(specs, nodes, existing);
      for (TargetSpec t : fresh) {
        store.putTarget(txn, new StoredTarget(t.targetId(), t.nodeId(), t.diskIndex(), 0));
      }
      if (!fresh.isEmpty()) {
        store.bumpRoutingVersion(txn);
      }
      return null;
    });
    RoutingSnapshot s = routing.snapshot();
    return specs.stream().map(t -> routing.targetInfo(s.targets().get(t.targetId()), s)).toList();
  }

  /** Creates the chains not stored yet, all members serving, and returns all of them. */
  List<ChainInfo> uploadChains(List<ChainSpec> specs) {
    return lease.write(txn -> {
      Map<Long, StoredTarget> targets = RoutingSnapshot.byId(store.targets(txn), StoredTarget::targetId);
      Map<Long, ChainInfo> existing =
          new LinkedHashMap<>(RoutingSnapshot.byId(store.chains(txn), ChainInfo::chainId));
      List<ChainSpec> fresh = ClusterValidator.chains(specs, targets, existing);
      for (ChainSpec c : fresh) {
        refuseDraining(txn, c.targetIds(), "chain " + c.chainId());
      }
      for (ChainSpec c : fresh) {
        ChainInfo ci = ChainInfo.allServing(c.chainId(), c.targetIds());
        store.putChain(txn, ci);
        existing.put(c.chainId(), ci);
        for (long t : c.targetIds()) {
          store.putTarget(txn, targets.get(t).withChain(c.chainId()));
        }
      }
      if (!fresh.isEmpty()) {
        store.bumpRoutingVersion(txn);
      }
      return specs.stream().map(c -> existing.get(c.chainId())).toList();
    });
  }

  /** Stores a new version of the table unless it already lists exactly these chains. */
  ChainTable uploadChainTable(int tableId, List<Long> chainIds) {
    List<Long> ids = List.copyOf(chainIds);
    return lease.write(txn -> {
      ClusterValidator.chainTable(tableId, ids, RoutingSnapshot.byId(store.chains(txn), ChainInfo::chainId));
      Optional<ChainTable> latest = store.latestChainTable(txn, tableId);
      if (latest.isPresent() && latest.get().chainIds().equals(ids)) {
        return latest.get();
      }
      ChainTable t = new ChainTable(tableId, latest.map(ChainTable::version).orElse(0L) + 1, ids);
      store.putChainTable(txn, t);
      store.bumpRoutingVersion(txn);
      return t;
    });
  }

  /** Takes a target out of its chain's write path as if its node had failed, and fences it until seen offline. */
  ChainInfo offlineTarget(long targetId) {
    RoutingSnapshot s = routing.snapshot();
    StoredTarget t = s.targets().get(targetId);
    if (t == null) {
      throw CatenaException.of(Errno.ENOENT, "unknown target %d", targetId);
    }
    ChainInfo c = s.chains().get(t.chainId());
    if (c == null) {
      throw CatenaException.of(Errno.EINVAL, "target %d is in no chain", targetId);
    }
    ChainInfo next = ChainStateMachine.next(c, chains.reportsFor(c, s, OptionalLong.of(targetId)));
    ChainInfo result = next == c ? c : putChainIfUnchanged(c, next);
    live.fence(targetId);
    chains.unfenceIfSeenOffline(result);
    log.info("mgmtd {}: operator took target {} offline: {}", nodeId, targetId, result);
    return result;
  }

  ChainInfo rotateLastSrv(long chainId, OptionalLong promote) {
    ChainInfo c = lease.read(txn -> store.chain(txn, chainId))
        .orElseThrow(() -> CatenaException.of(Errno.ENOENT, "unknown chain %d", chainId));
    ChainInfo result = putChainIfUnchanged(c, ChainStateMachine.rotateLastSrv(c, promote));
    log.warn("mgmtd {}: operator rotated lastsrv of chain {}: {}", nodeId, chainId, result);
    return result;
  }

  ChainInfo updateChain(ChainUpdate u) {
    // One transaction reads the chain and every member it checks: a concurrent scan or upload conflicts with it.
    ChainInfo result = lease.write(txn -> {
      ChainInfo c = store.chain(txn, u.chainId())
          .orElseThrow(() -> CatenaException.of(Errno.ENOENT, "unknown chain %d", u.chainId()));
      StoredTarget t = store.target(txn, u.targetId())
          .orElseThrow(() -> CatenaException.of(Errno.ENOENT, "unknown target %d", u.targetId()));
      ChainInfo next;
      if (u.op() == ChainUpdate.Op.ADD) {
        if (t.chainId() != 0 && t.chainId() != c.chainId()) {
          throw CatenaException.of(Errno.EEXIST, "target %d already belongs to chain %d; remove it there first",
              t.targetId(), t.chainId());
        }
        for (long member : c.targetIds()) {
          StoredTarget m = store.target(txn, member).orElseThrow();
          if (member != t.targetId() && m.nodeId() == t.nodeId()) {
            // A chain's replicas must survive the loss of one node; two on one node defeat that.
            throw CatenaException.of(Errno.EINVAL, "chain %d already has target %d on node %d; a chain needs its"
                + " targets on different nodes", c.chainId(), member, t.nodeId());
          }
        }
        refuseDraining(txn, List.of(t.targetId()), "chain " + c.chainId());
        next = ChainMembership.add(c, t.targetId());
      } else {
        next = ChainMembership.remove(c, t.targetId());
      }
      if (next == c) {
        return c;
      }
      store.putChain(txn, next);
      store.putTarget(txn, t.withChain(u.op() == ChainUpdate.Op.ADD ? c.chainId() : 0));
      store.bumpRoutingVersion(txn);
      return next;
    });
    log.warn("mgmtd {}: operator {} target {} {} chain {}: {}", nodeId, u.op() == ChainUpdate.Op.ADD ? "added"
        : "removed", u.targetId(), u.op() == ChainUpdate.Op.ADD ? "to" : "from", u.chainId(), result);
    return result;
  }

  Optional<ChainInfo> removeTarget(long targetId) {
    Optional<ChainInfo> result = lease.write(txn -> {
      StoredTarget t = store.target(txn, targetId)
          .orElseThrow(() -> CatenaException.of(Errno.ENOENT, "unknown target %d", targetId));
      Optional<ChainInfo> after = Optional.empty();
      if (t.chainId() != 0) {
        ChainInfo c = store.chain(txn, t.chainId()).orElseThrow();
        PublicTargetState st = c.stateOf(targetId).orElse(PublicTargetState.OFFLINE);
        if (st != PublicTargetState.OFFLINE) {
          throw CatenaException.of(Errno.EBUSY, "target %d is %s in chain %d; take it offline first"
              + " (offline-target %d) or move it out (update-chain --remove)", targetId, st, c.chainId(), targetId);
        }
        ChainInfo next = ChainMembership.remove(c, targetId);
        store.putChain(txn, next);
        after = Optional.of(next);
      }
      store.clearTarget(txn, targetId);
      store.bumpRoutingVersion(txn);
      return after;
    });
    live.forgetTarget(targetId);
    log.warn("mgmtd {}: operator removed target {}{}", nodeId, targetId,
        result.map(c -> " (chain now " + c + ")").orElse(""));
    return result;
  }

  /** New placements avoid draining targets: they are on their way out. */
  private void refuseDraining(io.catena.kv.ReadWriteTransaction txn, List<Long> targetIds, String what) {
    for (long t : targetIds) {
      if (drains.mark(txn, t).isPresent()) {
        throw CatenaException.of(Errno.EBUSY, "target %d is draining and takes no new chains (%s); cancel its drain"
            + " (drain --cancel %d) or choose another target", t, what, t);
      }
    }
  }

  /** Writes {@code next} if the stored chain is still {@code base}; otherwise the caller's decision is stale. */
  private ChainInfo putChainIfUnchanged(ChainInfo base, ChainInfo next) {
    return lease.write(txn -> {
      ChainInfo cur = store.chain(txn, base.chainId()).orElseThrow();
      if (cur.version() != base.version()) {
        throw CatenaException.of(Errno.EAGAIN, "chain %d changed meanwhile (v%d -> v%d); look again and retry",
            base.chainId(), base.version(), cur.version());
      }
      store.putChain(txn, next);
      store.bumpRoutingVersion(txn);
      return next;
    });
  }
}
