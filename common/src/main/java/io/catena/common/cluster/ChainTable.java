package io.catena.common.cluster;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A chain table at one version: the ordered chain ids a file layout stripes over. A (table id, version) pair never
 * changes once written, so a layout that names it keeps meaning the same chains. Immutable.
 */
public record ChainTable(int tableId, long version, List<Long> chainIds) {

  public ChainTable {
    if (tableId <= 0) {
      throw new IllegalArgumentException("chain table id must be positive: " + tableId);
    }
    if (version <= 0) {
      throw new IllegalArgumentException("chain table version must be positive: " + version);
    }
    chainIds = List.copyOf(chainIds);
    if (chainIds.isEmpty()) {
      throw new IllegalArgumentException("chain table " + tableId + " has no chains");
    }
    Set<Long> seen = new HashSet<>();
    for (long c : chainIds) {
      if (c <= 0) {
        throw new IllegalArgumentException("chain table " + tableId + ": chain id must be positive: " + c);
      }
      if (!seen.add(c)) {
        throw new IllegalArgumentException("chain table " + tableId + " lists chain " + c + " twice");
      }
    }
  }
}
