package io.catena.placement;

import java.util.List;

/**
 * A placement: the chains in chain-table order (each chain's head first) and every target. Identifiers are
 * structured so an operator can read them:
 * <ul>
 *   <li>target id = node id * 1000 + disk index * 100 + index on the disk (1..99): node 10003, disk 1, third target
 *       is 10003103;</li>
 *   <li>chain id = table id * 100000 + position in the chain table (1-based): chain 100007 is the seventh chain of
 *       table 1.</li>
 * </ul>
 * Immutable.
 */
public record Placement(PlacementRequest request, List<Chain> chains, List<Target> targets) {

  public Placement {
    chains = List.copyOf(chains);
    targets = List.copyOf(targets);
  }

  public static long targetId(long nodeId, int diskIndex, int indexOnDisk) {
    return nodeId * 1000 + diskIndex * 100L + indexOnDisk;
  }

  public static long chainId(int tableId, int position) {
    return tableId * 100_000L + position + 1;
  }

  /** The chain table: chain ids in table order. */
  public List<Long> chainTable() {
    return chains.stream().map(Chain::chainId).toList();
  }

  /** One chain: its targets and their nodes, head first. */
  public record Chain(long chainId, List<Long> targetIds, List<Long> nodeIds) {
    public Chain {
      targetIds = List.copyOf(targetIds);
      nodeIds = List.copyOf(nodeIds);
    }

    public long headNodeId() {
      return nodeIds.getFirst();
    }
  }

  /** A target: a slice of disk {@code diskIndex} (0-based) of node {@code nodeId}, member of {@code chainId}. */
  public record Target(long targetId, long nodeId, int diskIndex, long chainId) {}
}
