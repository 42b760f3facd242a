package io.catena.storage.service;

import io.catena.common.CatenaException;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.cluster.TargetInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the targets mgmtd added to a chain on this node that the node does not hold yet (a drain's replacement
 * replica, or an operator's update-chain --add of a target made only in mgmtd). Only a WAITING or OFFLINE member is
 * created (OFFLINE: mgmtd may have heard a heartbeat that did not list it yet and taken it offline): it starts empty
 * and not up to date, reports ONLINE, and the chain state machine takes it through WAITING and a full sync from its
 * predecessor before it serves, as a replaced disk would be. A missing SERVING, SYNCING or LASTSRV member is never
 * created: an empty one must not vouch for the chain's data. Stateless; thread-safe (TargetManager.create is).
 */
final class TargetAdopter {
  private static final Logger LOG = LoggerFactory.getLogger(TargetAdopter.class);

  private TargetAdopter() {}

  /** Creates the missing WAITING or OFFLINE members of {@code nodeId}; returns their ids. Failures are logged. */
  static List<Long> adopt(TargetManager targets, long nodeId, RoutingInfo routing) {
    List<Long> made = new ArrayList<>();
    for (TargetInfo ti : routing.targets()) {
      if (ti.nodeId() != nodeId || ti.chainId() == 0 || targets.get(ti.targetId()).isPresent()) {
        continue;
      }
      Optional<ChainInfo> c = routing.chain(ti.chainId());
      PublicTargetState st = c.isEmpty() ? null : c.get().stateOf(ti.targetId()).orElse(null);
      if (st != PublicTargetState.WAITING && st != PublicTargetState.OFFLINE) {
        continue;
      }
      try {
        Target t = targets.create(ti.targetId(), ti.chainId(), ti.diskIndex());
        t.setUpToDate(false);
        made.add(ti.targetId());
        LOG.info("adopted target {} of chain {} on disk {}: mgmtd added it; it syncs from its predecessor",
            ti.targetId(), ti.chainId(), ti.diskIndex());
      } catch (CatenaException e) {
        LOG.warn("cannot create target {} of chain {} that mgmtd placed here: {}", ti.targetId(), ti.chainId(),
            e.status());
      }
    }
    return made;
  }
}
