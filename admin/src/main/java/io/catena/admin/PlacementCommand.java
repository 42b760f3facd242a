package io.catena.admin;

import io.catena.placement.BalanceReport;
import io.catena.placement.InfeasiblePlacementException;
import io.catena.placement.Placement;
import io.catena.placement.PlacementFiles;
import io.catena.placement.PlacementPlanner;
import io.catena.placement.PlacementRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code catena admin placement}: plans balanced chains and writes the files that {@code create-targets},
 * {@code upload-chains} and {@code upload-chain-table} consume. The file formats are defined in
 * {@link PlacementFiles}. Exit codes: 0 written, 1 infeasible parameters (with the nearest feasible ones), 2 bad
 * usage.
 */
@Command(name = "placement",
    description = {
        "Plan balanced chains; write the target, chain and chain-table files.",
        "",
        "Build chains of R targets on R distinct storage nodes so that every node hosts T targets on each of its D "
            + "disks and every pair of nodes shares (almost) the same number of chains; write the files the admin "
            + "commands consume and print a balance report. Exit 1 with the nearest feasible parameters if N*D*T is "
            + "not a multiple of R or R > N.",
        "",
        "Files in the output directory (CSV, header line, integers only):",
        "  targets.csv       target_id,node_id,disk_index,chain_id",
        "                    one line per target, by target id",
        "  chains.csv        chain_id,target_1,...,target_R",
        "                    in chain-table order; target_1 is the head",
        "  chain-table.csv   table_id,chain_id",
        "                    table order; consecutive chains avoid sharing nodes",
        "Ids: target id = node id*1000 + disk index (0-based)*100 + index (1..99),",
        "     e.g. 10003102; chain id = table id*100000 + table position (1-based),",
        "     e.g. 100007.",
        ""})
final class PlacementCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
  boolean help;

  @Option(names = "--nodes", paramLabel = "N", required = true, description = "storage nodes")
  int nodes;

  @Option(names = "--disks-per-node", paramLabel = "D", defaultValue = "1",
      description = "disks per node, at most 10 (default: ${DEFAULT-VALUE})")
  int disksPerNode;

  @Option(names = "--targets-per-disk", paramLabel = "T", required = true, description = "targets per disk, 1..99")
  int targetsPerDisk;

  @Option(names = "--replication", paramLabel = "R", defaultValue = "3",
      description = "targets per chain, on distinct nodes (default: ${DEFAULT-VALUE})")
  int replication;

  @Option(names = "--node-id-begin", paramLabel = "ID", defaultValue = "10001",
      description = "id of the first node; nodes are numbered consecutively (default: ${DEFAULT-VALUE})")
  long nodeIdBegin;

  @Option(names = "--table-id", paramLabel = "ID", defaultValue = "1",
      description = "chain table id (default: ${DEFAULT-VALUE})")
  int tableId;

  @Option(names = "--seed", paramLabel = "SEED", defaultValue = "0",
      description = "search seed; equal parameters and seed give equal files (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--output", paramLabel = "DIR",
      description = "directory for the files (default: ./placement-<N>n-<R>r)")
  Path output;

  @Option(names = "--json", description = "print the balance report as JSON")
  boolean json;

  @Override
  public Integer call() {
    positive("--nodes", nodes);
    positive("--disks-per-node", disksPerNode);
    positive("--targets-per-disk", targetsPerDisk);
    positive("--replication", replication);
    positive("--node-id-begin", nodeIdBegin);
    positive("--table-id", tableId);
    if (disksPerNode > PlacementRequest.MAX_DISKS_PER_NODE) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--disks-per-node must be at most "
          + PlacementRequest.MAX_DISKS_PER_NODE + " (one digit of a target id), got " + disksPerNode);
    }
    if (targetsPerDisk > PlacementRequest.MAX_TARGETS_PER_DISK) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--targets-per-disk must be at most "
          + PlacementRequest.MAX_TARGETS_PER_DISK + " (two digits of a target id), got " + targetsPerDisk);
    }
    PlacementRequest request;
    try {
      request = new PlacementRequest(nodes, disksPerNode, targetsPerDisk, replication, nodeIdBegin, tableId, seed);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    Path dir = output != null ? output : Path.of("placement-" + nodes + "n-" + replication + "r");
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--output " + dir + " is not a directory");
    }
    var out = spec.commandLine().getOut();
    var err = spec.commandLine().getErr();
    Placement placement;
    long start = System.nanoTime();
    try {
      placement = PlacementPlanner.plan(request);
    } catch (InfeasiblePlacementException e) {
      err.println("catena: infeasible placement: " + e.infeasibility().describe());
      return 1;
    }
    long millis = (System.nanoTime() - start) / 1_000_000;
    List<Path> files = PlacementFiles.write(placement, dir);
    BalanceReport report = BalanceReport.of(placement);
    String wrote = "wrote " + files.stream().map(Path::toString).reduce((a, b) -> a + ", " + b).orElse("");
    if (!report.balanced()) {
      // Not every parameter set has a nearly balanced design (N=8, R=4, T=3 has none with pair counts within
      // one); the files are still the best the search found, and the report says how far off they are.
      err.println("catena: warning: no placement with pair counts and recovery spread within one chain was found "
          + "for these parameters; the files hold the most even one found (see the report)");
    }
    if (json) {
      out.println(report.toJson());
      err.println(wrote);
    } else {
      out.print(report.toText());
      out.println();
      out.println("planned in " + millis + " ms; " + wrote);
    }
    return 0;
  }

  private void positive(String option, long value) {
    if (value <= 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), option + " must be positive, got " + value);
    }
  }
}
