package io.catena.mgmtd;

import java.util.Objects;
import java.util.Optional;

/**
 * Where the drain of one target stands: the chain it still belongs to (0: none, the drain is done), the replacement
 * replica mgmtd added to that chain and its state, and why no move is under way when one is blocked. Byte counts are
 * advisory (the last heartbeats' used space of the two targets). Immutable.
 *
 * @param chainId the chain the draining target is still in; 0 once it has left every chain
 * @param replacementTargetId the replica being built to take its place, 0 if none yet
 * @param replacementState the replacement's state in the chain (SERVING, SYNCING, WAITING...), empty if none
 * @param blockedReason why no replacement is being built now ("" if one is, or the drain is done)
 */
public record DrainState(long targetId, long nodeId, long chainId, long replacementTargetId,
    String replacementState, long sourceUsedBytes, long replacementUsedBytes, long markedAtMillis,
    String blockedReason) {

  public DrainState {
    Objects.requireNonNull(replacementState, "replacementState");
    Objects.requireNonNull(blockedReason, "blockedReason");
  }

  /** The target holds no chain: it can be removed (remove-target) and its node stopped. */
  public boolean done() {
    return chainId == 0;
  }

  /** Bytes the replacement still lacks, by the last heartbeats (0 when unknown or done). */
  public long bytesLeft() {
    return replacementTargetId == 0 ? 0 : Math.max(0, sourceUsedBytes - replacementUsedBytes);
  }

  /** A short word for tables: done, syncing, waiting, blocked, queued. */
  public String phase() {
    if (done()) {
      return "done";
    }
    if (replacementTargetId != 0) {
      return replacementState.isEmpty() ? "moving" : replacementState.toLowerCase(java.util.Locale.ROOT);
    }
    return blockedReason.isEmpty() ? "queued" : "blocked";
  }

  public Optional<String> blocked() {
    return blockedReason.isEmpty() ? Optional.empty() : Optional.of(blockedReason);
  }
}
