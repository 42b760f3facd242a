package io.catena.meta;

/**
 * A directory quota as {@link MetaService#getQuota} reports it: the directory, its limits, the bytes (file lengths)
 * and inodes beneath it, and its state. Limits are enforced only in state {@link State#ACTIVE}. Immutable.
 */
public record QuotaUsage(long ino, QuotaLimits limits, long usedBytes, long usedInodes, State state) {

  /** Where a quota is in its life. */
  public enum State {
    /** Just set on a non-empty directory: what is already there is still being counted; not enforced yet. */
    COUNTING,
    /** Counted and enforced. */
    ACTIVE,
    /** Being removed: usage is handed back to the enclosing quota; not enforced. */
    REMOVING
  }
}
