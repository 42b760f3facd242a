package io.catena.placement;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a placement as the three files the admin commands consume ({@code create-targets}, {@code upload-chains},
 * {@code upload-chain-table}). All are UTF-8 CSV with a header line, '\n' line ends, no quoting (every field is a
 * decimal integer):
 * <ul>
 *   <li>{@value #TARGETS}: {@code target_id,node_id,disk_index,chain_id}, one line per target, by target id. Target
 *       id = node id * 1000 + disk index * 100 + index on the disk (1..99); disk index is 0-based.</li>
 *   <li>{@value #CHAINS}: {@code chain_id,target_1,...,target_R}, one line per chain in chain-table order; target_1
 *       is the head, target_R the tail.</li>
 *   <li>{@value #CHAIN_TABLE}: {@code table_id,chain_id}, one line per chain in table order (consecutive chains
 *       use different nodes as far as possible). Chain id = table id * 100000 + position (1-based).</li>
 * </ul>
 * Stateless.
 */
public final class PlacementFiles {
  public static final String TARGETS = "targets.csv";
  public static final String CHAINS = "chains.csv";
  public static final String CHAIN_TABLE = "chain-table.csv";

  private PlacementFiles() {}

  /** Writes the three files into {@code dir} (created if missing), replacing earlier ones; returns their paths. */
  public static List<Path> write(Placement p, Path dir) {
    try {
      Files.createDirectories(dir);
      StringBuilder targets = new StringBuilder("target_id,node_id,disk_index,chain_id\n");
      for (Placement.Target t : p.targets()) {
        targets.append(t.targetId()).append(',').append(t.nodeId()).append(',').append(t.diskIndex()).append(',')
            .append(t.chainId()).append('\n');
      }
      StringBuilder chains = new StringBuilder("chain_id");
      for (int i = 1; i <= p.request().replication(); i++) {
        chains.append(",target_").append(i);
      }
      chains.append('\n');
      StringBuilder table = new StringBuilder("table_id,chain_id\n");
      for (Placement.Chain c : p.chains()) {
        chains.append(c.chainId());
        for (long t : c.targetIds()) {
          chains.append(',').append(t);
        }
        chains.append('\n');
        table.append(p.request().tableId()).append(',').append(c.chainId()).append('\n');
      }
      Path t = dir.resolve(TARGETS);
      Path c = dir.resolve(CHAINS);
      Path ct = dir.resolve(CHAIN_TABLE);
      Files.writeString(t, targets, StandardCharsets.UTF_8);
      Files.writeString(c, chains, StandardCharsets.UTF_8);
      Files.writeString(ct, table, StandardCharsets.UTF_8);
      return List.of(t, c, ct);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the placement to " + dir + ": " + e.getMessage(), e);
    }
  }
}
