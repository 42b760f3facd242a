package io.catena.common.cluster;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A replication chain at one version: its members in chain order with their public states. Writes enter at the
 * head (the first serving member) and commit at the tail (the last serving member); the order is the order
 * writes travel. Every change of a member's state or of the order gets a new, higher version. Immutable.
 */
public record ChainInfo(long chainId, long version, List<ChainTarget> targets) {

  public ChainInfo {
    if (chainId <= 0) {
      throw new IllegalArgumentException("chain id must be positive: " + chainId);
    }
    if (version <= 0) {
      throw new IllegalArgumentException("chain version must be positive: " + version);
    }
    targets = List.copyOf(targets);
    if (targets.isEmpty()) {
      throw new IllegalArgumentException("chain " + chainId + " has no targets");
    }
    Set<Long> seen = new HashSet<>();
    for (ChainTarget t : targets) {
      if (!seen.add(t.targetId())) {
        throw new IllegalArgumentException("chain " + chainId + " lists target " + t.targetId() + " twice");
      }
    }
  }

  /** A new chain with every member serving, version 1. */
  public static ChainInfo allServing(long chainId, List<Long> targetIds) {
    List<ChainTarget> ts = new ArrayList<>();
    for (long id : targetIds) {
      ts.add(new ChainTarget(id, PublicTargetState.SERVING));
    }
    return new ChainInfo(chainId, 1, ts);
  }

  /** The first serving member: where writes enter. Empty when nothing serves. */
  public Optional<Long> head() {
    for (ChainTarget t : targets) {
      if (t.state() == PublicTargetState.SERVING) {
        return Optional.of(t.targetId());
      }
    }
    return Optional.empty();
  }

  /** The last serving member: where writes commit. Empty when nothing serves. */
  public Optional<Long> tail() {
    for (int i = targets.size() - 1; i >= 0; i--) {
      if (targets.get(i).state() == PublicTargetState.SERVING) {
        return Optional.of(targets.get(i).targetId());
      }
    }
    return Optional.empty();
  }

  public List<Long> targetIds() {
    return targets.stream().map(ChainTarget::targetId).toList();
  }

  /** Members in the given state, in chain order. */
  public List<Long> targetsIn(PublicTargetState state) {
    return targets.stream().filter(t -> t.state() == state).map(ChainTarget::targetId).toList();
  }

  public Optional<PublicTargetState> stateOf(long targetId) {
    for (ChainTarget t : targets) {
      if (t.targetId() == targetId) {
        return Optional.of(t.state());
      }
    }
    return Optional.empty();
  }

  public boolean contains(long targetId) {
    return stateOf(targetId).isPresent();
  }

  /** The same members and states at another version. */
  public ChainInfo withVersion(long newVersion) {
    return new ChainInfo(chainId, newVersion, targets);
  }

  /** Whether the members, their order and their states equal {@code other}'s (versions ignored). */
  public boolean sameMembership(ChainInfo other) {
    return chainId == other.chainId && targets.equals(other.targets);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("chain ").append(chainId).append(" v").append(version).append(" [");
    for (int i = 0; i < targets.size(); i++) {
      ChainTarget t = targets.get(i);
      sb.append(i == 0 ? "" : ", ").append(t.targetId()).append(':').append(t.state());
    }
    return sb.append(']').toString();
  }
}
