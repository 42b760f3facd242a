package io.catena.meta;

import java.util.List;

/** One immutable version of a chain table: the chain ids files are spread over, in table order. Immutable. */
public record ChainTable(int tableId, int version, List<Long> chainIds) {
  public ChainTable {
    chainIds = List.copyOf(chainIds);
  }
}
