package io.catena.storage;

import io.catena.common.cluster.ChunkId;
import java.util.List;

/**
 * The result of checking chunk metadata against the data files. Problems are reported, never repaired: the
 * owner decides (e.g. report the target offline and let resync replace the chunks). Immutable.
 *
 * @param chunks        chunk records seen
 * @param pending       of which with a pending version
 * @param crcVerified   chunk versions whose content CRC32C was recomputed from the data files
 * @param problems      every inconsistency found; empty if clean
 */
public record CheckReport(long chunks, long pending, long crcVerified, List<Problem> problems) {

  public CheckReport {
    problems = List.copyOf(problems);
  }

  /** One inconsistency; {@code chunk} is null for store-wide problems (e.g. space accounting). */
  public record Problem(ChunkId chunk, Kind kind, String detail) {
    @Override
    public String toString() {
      return kind + " " + (chunk == null ? "-" : chunk) + ": " + detail;
    }
  }

  public enum Kind {
    /** A metadata record that does not decode. */
    BAD_RECORD,
    /** A block reference outside the size classes or beyond the end of its data file. */
    BAD_BLOCK,
    /** A block referenced by two different chunks. */
    SHARED_BLOCK,
    /** Stored content whose CRC32C differs from the recorded one. */
    CRC_MISMATCH,
    /** Used space differs from the sum of referenced blocks. */
    ACCOUNTING
  }

  public boolean clean() {
    return problems.isEmpty();
  }
}
