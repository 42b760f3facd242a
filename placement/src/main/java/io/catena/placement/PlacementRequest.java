package io.catena.placement;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What to place: {@code nodes} storage nodes with consecutive ids from {@code nodeIdBegin}, each with
 * {@code disksPerNode} disks of {@code targetsPerDisk} targets, grouped into chains of {@code replication} targets
 * on distinct nodes, listed in chain table {@code tableId}. {@code seed} fixes the search, so equal requests give
 * equal placements. Immutable.
 *
 * <p>The constructor rejects malformed values (IllegalArgumentException: non-positive counts, ids that would not
 * fit the structured target and chain ids of {@link Placement}); {@link #infeasibility()} explains well-formed
 * requests that no placement can satisfy.
 */
public record PlacementRequest(int nodes, int disksPerNode, int targetsPerDisk, int replication, long nodeIdBegin,
    int tableId, long seed) {

  /** Disk indexes are one decimal digit of a target id. */
  public static final int MAX_DISKS_PER_NODE = 10;
  /** Target indexes within a disk are two decimal digits of a target id (1..99). */
  public static final int MAX_TARGETS_PER_DISK = 99;
  /** Chain indexes are five decimal digits of a chain id. */
  public static final int MAX_CHAINS = 99_999;
  public static final long DEFAULT_NODE_ID_BEGIN = 10001;

  public PlacementRequest {
    positive("nodes", nodes);
    positive("disks per node", disksPerNode);
    positive("targets per disk", targetsPerDisk);
    positive("replication", replication);
    positive("table id", tableId);
    if (disksPerNode > MAX_DISKS_PER_NODE) {
      throw new IllegalArgumentException("disks per node must be at most " + MAX_DISKS_PER_NODE
          + " (the disk index is one digit of a target id): " + disksPerNode);
    }
    if (targetsPerDisk > MAX_TARGETS_PER_DISK) {
      throw new IllegalArgumentException("targets per disk must be at most " + MAX_TARGETS_PER_DISK
          + " (the target index is two digits of a target id): " + targetsPerDisk);
    }
    if (nodeIdBegin <= 0) {
      throw new IllegalArgumentException("node ids must be positive: " + nodeIdBegin);
    }
    if (nodeIdBegin + nodes - 1 > Long.MAX_VALUE / 1000 - 1) {
      throw new IllegalArgumentException("node ids up to " + (nodeIdBegin + nodes - 1)
          + " do not fit a target id (node id * 1000 + disk * 100 + index)");
    }
    if (tableId > (Long.MAX_VALUE - MAX_CHAINS) / 100_000) {
      throw new IllegalArgumentException("table id too large for chain ids (table id * 100000 + index): " + tableId);
    }
  }

  /** The default table (1), node ids from 10001 and seed 0. */
  public static PlacementRequest of(int nodes, int disksPerNode, int targetsPerDisk, int replication) {
    return new PlacementRequest(nodes, disksPerNode, targetsPerDisk, replication, DEFAULT_NODE_ID_BEGIN, 1, 0);
  }

  public long totalTargets() {
    return (long) nodes * disksPerNode * targetsPerDisk;
  }

  /** Number of chains; meaningful only when {@link #infeasibility()} is empty. */
  public int chains() {
    return (int) (totalTargets() / replication);
  }

  /** Targets each node hosts, which is also the number of chains each node is a member of. */
  public int targetsPerNode() {
    return disksPerNode * targetsPerDisk;
  }

  public PlacementRequest withNodes(int n) {
    return new PlacementRequest(n, disksPerNode, targetsPerDisk, replication, nodeIdBegin, tableId, seed);
  }

  public PlacementRequest withTargetsPerDisk(int t) {
    return new PlacementRequest(nodes, disksPerNode, t, replication, nodeIdBegin, tableId, seed);
  }

  public PlacementRequest withReplication(int r) {
    return new PlacementRequest(nodes, disksPerNode, targetsPerDisk, r, nodeIdBegin, tableId, seed);
  }

  /** Why no placement satisfies this request, with the nearest requests that have one; empty if feasible. */
  public Optional<Infeasibility> infeasibility() {
    if (replication > nodes) {
      List<PlacementRequest> nearest = List.of(withNodes(replication), withReplication(nodes));
      return Optional.of(new Infeasibility(String.format(
          "replication %d needs at least %d storage nodes (a chain keeps its replicas on distinct nodes), got %d",
          replication, replication, nodes), nearest.stream().filter(r -> r.infeasibility().isEmpty()).toList()));
    }
    if (totalTargets() % replication != 0) {
      List<PlacementRequest> nearest = new ArrayList<>();
      // The nearest feasible counts on either side, T first: changing targets per disk keeps the hardware.
      for (int t = targetsPerDisk - 1; t >= 1; t--) {
        if (withTargetsPerDisk(t).divides()) {
          nearest.add(withTargetsPerDisk(t));
          break;
        }
      }
      for (int t = targetsPerDisk + 1; t <= MAX_TARGETS_PER_DISK; t++) {
        if (withTargetsPerDisk(t).divides()) {
          nearest.add(withTargetsPerDisk(t));
          break;
        }
      }
      for (int n = nodes - 1; n >= replication; n--) {
        if (withNodes(n).divides()) {
          nearest.add(withNodes(n));
          break;
        }
      }
      for (int n = nodes + 1; n <= nodes + replication; n++) {
        if (withNodes(n).divides()) {
          nearest.add(withNodes(n));
          break;
        }
      }
      return Optional.of(new Infeasibility(String.format(
          "%d nodes x %d disks x %d targets = %d targets cannot be grouped into chains of %d: "
              + "the number of targets must be a multiple of the replication", nodes, disksPerNode, targetsPerDisk,
          totalTargets(), replication), List.copyOf(nearest)));
    }
    if (chains() > MAX_CHAINS) {
      return Optional.of(new Infeasibility(String.format(
          "%d chains do not fit one chain table (at most %d: chain ids are table id * 100000 + index)",
          totalTargets() / replication, MAX_CHAINS), List.of()));
    }
    return Optional.empty();
  }

  private boolean divides() {
    return totalTargets() % replication == 0;
  }

  /** A short form for messages: {@code --nodes 5 --disks-per-node 1 --targets-per-disk 3 --replication 3}. */
  public String toOptions() {
    return String.format("--nodes %d --disks-per-node %d --targets-per-disk %d --replication %d", nodes,
        disksPerNode, targetsPerDisk, replication);
  }

  private static void positive(String what, long value) {
    if (value <= 0) {
      throw new IllegalArgumentException(what + " must be positive: " + value);
    }
  }

  /** Why a request has no placement, and the nearest requests that have one (possibly none). */
  public record Infeasibility(String explanation, List<PlacementRequest> nearest) {
    public Infeasibility {
      nearest = List.copyOf(nearest);
    }

    /** The explanation followed by one line per nearest feasible request. */
    public String describe() {
      StringBuilder sb = new StringBuilder(explanation);
      if (!nearest.isEmpty()) {
        sb.append("\nnearest feasible:");
        for (PlacementRequest r : nearest) {
          sb.append("\n  ").append(r.toOptions()).append("   (").append(r.chains()).append(" chains)");
        }
      }
      return sb.toString();
    }
  }
}
