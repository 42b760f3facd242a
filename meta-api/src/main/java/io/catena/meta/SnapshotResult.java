package io.catena.meta;

/**
 * What a snapshot made: directories, regular files (those sharing their source's data copy-on-write and those
 * copied at once because a writer had them open), other entries (symlinks, devices, FIFOs, sockets) and the logical
 * bytes of the files. A repeated request answered from its idempotency record (the first reply was lost) reports
 * zeros. Immutable.
 */
public record SnapshotResult(long directories, long sharedFiles, long copiedFiles, long others, long bytes) {

  /** Every entry the snapshot holds, its top included. */
  public long entries() {
    return directories + sharedFiles + copiedFiles + others;
  }
}
