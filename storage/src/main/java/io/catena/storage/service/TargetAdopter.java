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
 * replica, or an operator's update-chain --add of a target made only in mgmtd). Only a WAITING member is created:
 * it starts empty and not up to date, reports ONLINE, and the chain state machine lets its predecessor sync the
 * chain's data to it; a member in any other state that the node lacks stays missing (mgmtd sees it offline), so a
 * lost disk is never papered over by an empty target. Stateless; thread-safe (TargetManager.create is).
 */
final class TargetAdopter {
  private static final Logger LOG = LoggerFactory.getLogger(TargetAdopter.class);

  private TargetAdopter() {}

  /** Creates the missing WAITING members of {@code nodeId}; returns their ids. Failures are logged and retried. */
  static List<Long> adopt(TargetManager targets, long nodeId, RoutingInfo routing) {
    List<Long> made = new ArrayList<>();
    for (TargetInfo ti : routing.targets()) {
      if (ti.nodeId() != nodeId || ti.chainId() == 0 || targets.get(ti.targetId()).isPresent()) {
        continue;
      }
      Optional<ChainInfo> c = routing.chain(ti.chainId());
      if (c.isEmpty() || c.get().stateOf(ti.targetId()).orElse(null) != PublicTargetState.WAITING) {
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
