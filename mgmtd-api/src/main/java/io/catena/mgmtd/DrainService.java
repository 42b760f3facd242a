package io.catena.mgmtd;

import java.util.List;

/**
 * Draining targets (MooseFS's {@code *} in mfshdd.cfg): a marked target takes no new chain placements, and mgmtd
 * moves each of its chains to a replacement replica on another node (added, synced, serving) before the target
 * leaves that chain, so no chain ever has fewer serving replicas than before. Marks are stored in mgmtd's KV store:
 * a restarted or new primary resumes the moves. The same frame as {@link MgmtdService}: only the primary answers,
 * requests name their cluster, errors are CatenaExceptions, a refused request changes nothing. Thread-safe.
 */
public interface DrainService {

  /**
   * Marks targets for removal: {@code targetIds}, plus every target of {@code nodeId} when it is positive. Marking a
   * draining target again is a no-op. Refused: unknown target or node (ENOENT), nothing named (EINVAL), a chain of
   * one of them for which no other storage node can hold a replacement (ENOSPC, saying which chain and why).
   */
  List<DrainState> drain(String clusterId, List<Long> targetIds, long nodeId);

  /**
   * Unmarks targets (same selection as {@link #drain}); a replacement already added stays in its chain as an extra
   * replica. Unmarking a target that is not draining is a no-op.
   */
  List<DrainState> cancelDrain(String clusterId, List<Long> targetIds, long nodeId);

  /** Every draining target, in target id order. */
  List<DrainState> drainStatus(String clusterId);
}
