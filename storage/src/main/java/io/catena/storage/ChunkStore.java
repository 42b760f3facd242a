package io.catena.storage;

import io.catena.common.cluster.ChunkId;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;

/**
 * The chunks of one storage target on one disk, shaped for CRAQ (ARCHITECTURE §4.3/4.4). Thread-safe: updates
 * to one chunk are serialised inside the store; reads never wait for updates and always see a complete committed
 * version. All methods throw {@link io.catena.common.CatenaException} with a precise status; a failed call leaves
 * the chunk as it was.
 *
 * <h2>Versions</h2>
 * Each chunk has a committed version (0 = none yet) and at most one pending version. An update ({@link #write},
 * {@link #truncate}) must carry {@code version == committed + 1} (the head assigns it, successors receive the same)
 * and becomes the pending version; it replaces an earlier pending update of the same version (a retry). It is
 * invisible to reads until {@link #commit}; {@link #abort} drops it. Updates carrying {@code version <= committed}
 * fail with {@code EALREADY} (a duplicate: the caller may treat it as done); a larger gap fails with
 * {@code ESTALE} (this replica missed updates and needs resync). {@link #replace} (resync) and {@link #remove}
 * take effect immediately and drop any pending update. The chain version is recorded, not checked: routing
 * checks belong to the replication layer.
 *
 * <h2>Content</h2>
 * A chunk holds {@code length} bytes, at most its file's chunk size (a power of two, 64 KiB to 64 MiB, passed with
 * every update). Bytes never written (holes, the range a truncate grows over) read as zeros. The CRC32C of the
 * whole committed content is kept with the version.
 *
 * <h2>Durability</h2>
 * Under {@link FsyncPolicy#ALWAYS} a committed or replaced version that was returned survives kill -9 and power
 * loss; a pending one survives as pending (its replica is resynced anyway). See {@link FsyncPolicy} for the others.
 */
public interface ChunkStore extends AutoCloseable {

  /**
   * One write as received from the client or predecessor.
   *
   * @param chunkSize the file's chunk size: the largest length this chunk may reach
   * @param crc32c    CRC32C of {@code data}'s remaining bytes, checked before anything is stored
   */
  record WriteRequest(long chainId, ChunkId chunk, long chainVersion, long version, int chunkSize, long offset,
      ByteBuffer data, int crc32c) {}

  /**
   * Stores {@code data} at {@code offset} as the chunk's pending version (content = committed content patched;
   * the length grows to cover the write). Errors: EBADMSG payload CRC mismatch; EINVAL bad offset or chunk size;
   * EFBIG write past the chunk size; EALREADY/ESTALE version; ENOSPC.
   *
   * @return the chunk's metadata with the new pending version
   */
  ChunkMeta write(WriteRequest request);

  /**
   * Sets the chunk's length as its pending version: shorter drops the tail, longer appends zeros. A chunk that
   * does not exist is created with {@code length} zeros. Errors as for {@link #write}.
   */
  ChunkMeta truncate(long chainId, ChunkId chunk, long chainVersion, long version, int chunkSize, long length);

  /**
   * Makes pending version {@code version} the committed one. Committing a version that is already committed is a
   * no-op (a retried commit). Errors: ENOENT no such chunk or pending version; ESTALE a different version is
   * pending.
   */
  ChunkMeta commit(ChunkId chunk, long version);

  /** Drops the pending version if it is {@code version}; otherwise a no-op. Returns the chunk's meta, if any. */
  Optional<ChunkMeta> abort(ChunkId chunk, long version);

  /**
   * Replaces the whole chunk with {@code content} as committed version {@code version} (resync, or a live write
   * forwarded to a syncing replica), dropping any pending version. Errors: EBADMSG, EFBIG, EINVAL, ENOSPC.
   */
  ChunkMeta replace(long chainId, ChunkId chunk, long chainVersion, long version, int chunkSize, ByteBuffer content,
      int crc32c);

  /** Removes the chunk (committed and pending). Returns whether it existed. */
  boolean remove(ChunkId chunk);

  /** Removes every chunk in [begin, end), e.g. all chunks of a deleted inode. Returns how many were removed. */
  long removeRange(ChunkId begin, ChunkId end);

  /**
   * Reads up to {@code length} bytes at {@code offset} of the committed version; shorter at the end of the chunk,
   * empty at or past it. Errors: ENOENT no committed version; EINVAL negative offset or length.
   */
  ReadResult read(ChunkId chunk, long offset, int length);

  /** Like {@link #read} but pins the block for a zero-copy transfer instead of copying. */
  ChunkReadHandle openRead(ChunkId chunk, long offset, int length);

  Optional<ChunkMeta> meta(ChunkId chunk);

  /**
   * The last chunk in [begin, end) that has a committed version, e.g. for a file's length: chunk index times
   * chunk size plus its length.
   */
  Optional<ChunkMeta> lastChunk(ChunkId begin, ChunkId end);

  /**
   * Metadata of the chunks in [begin, end) in chunk order, at most {@code limit} (page by calling again from
   * the next id after the last one): what a predecessor dumps to resync this replica.
   */
  List<ChunkMeta> list(ChunkId begin, ChunkId end, int limit);

  SpaceInfo space();

  /**
   * Checks metadata against the data files now; {@code verifyCrc} also recomputes every CRC32C. Updates wait while
   * it runs (so the result is one consistent picture); reads do not.
   */
  CheckReport check(boolean verifyCrc);

  /** The check run when the store opened (see {@code storage.verify_on_start}). */
  CheckReport startupReport();

  @Override
  void close();
}
