package io.catena.meta;

import io.catena.common.cluster.ChainTable;
import java.util.Optional;

/**
 * The chain tables as routing info from mgmtd knows them. Meta only needs the current version of a table to lay out
 * new files (old versions are immutable and read by clients). Implementations must be thread-safe.
 */
public interface ChainTableSource {

  /** The newest version of table {@code tableId}, or empty if no such table exists. */
  Optional<ChainTable> current(int tableId);

  /** A fixed set of tables, for tests and single-machine setups. */
  static ChainTableSource fixed(ChainTable... tables) {
    var list = java.util.List.of(tables);
    return id -> list.stream().filter(t -> t.tableId() == id).reduce((a, b) -> a.version() >= b.version() ? a : b);
  }
}
