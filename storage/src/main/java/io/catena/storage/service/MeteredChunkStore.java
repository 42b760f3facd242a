package io.catena.storage.service;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChunkId;
import io.catena.storage.CheckReport;
import io.catena.storage.ChunkMeta;
import io.catena.storage.ChunkReadHandle;
import io.catena.storage.ChunkStore;
import io.catena.storage.ReadResult;
import io.catena.storage.SpaceInfo;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;

/**
 * A chunk store that counts what the chunk engine does: versions committed (a commit, or a whole-chunk replacement
 * which commits at once) and payloads refused for a CRC32C mismatch (EBADMSG). Everything else passes through.
 * Thread-safe as the store it wraps.
 */
final class MeteredChunkStore implements ChunkStore {
  private final ChunkStore store;
  private final StorageMetrics.TargetMeters meters;

  MeteredChunkStore(ChunkStore store, StorageMetrics.TargetMeters meters) {
    this.store = store;
    this.meters = meters;
  }

  @Override
  public ChunkMeta write(WriteRequest request) {
    try {
      return store.write(request);
    } catch (CatenaException e) {
      countCrc(e);
      throw e;
    }
  }

  @Override
  public ChunkMeta truncate(long chainId, ChunkId chunk, long chainVersion, long version, int chunkSize,
      long length) {
    return store.truncate(chainId, chunk, chainVersion, version, chunkSize, length);
  }

  @Override
  public ChunkMeta commit(ChunkId chunk, long version) {
    ChunkMeta m = store.commit(chunk, version);
    meters.commits.increment();
    return m;
  }

  @Override
  public Optional<ChunkMeta> abort(ChunkId chunk, long version) {
    return store.abort(chunk, version);
  }

  @Override
  public ChunkMeta replace(long chainId, ChunkId chunk, long chainVersion, long version, int chunkSize,
      ByteBuffer content, int crc32c) {
    try {
      ChunkMeta m = store.replace(chainId, chunk, chainVersion, version, chunkSize, content, crc32c);
      meters.commits.increment();
      return m;
    } catch (CatenaException e) {
      countCrc(e);
      throw e;
    }
  }

  private void countCrc(CatenaException e) {
    if (e.errno() == Errno.EBADMSG) {
      meters.crcFailures.increment();
    }
  }

  @Override
  public boolean remove(ChunkId chunk) {
    return store.remove(chunk);
  }

  @Override
  public long removeRange(ChunkId begin, ChunkId end) {
    return store.removeRange(begin, end);
  }

  @Override
  public ReadResult read(ChunkId chunk, long offset, int length) {
    return store.read(chunk, offset, length);
  }

  @Override
  public ChunkReadHandle openRead(ChunkId chunk, long offset, int length) {
    return store.openRead(chunk, offset, length);
  }

  @Override
  public Optional<ChunkMeta> meta(ChunkId chunk) {
    return store.meta(chunk);
  }

  @Override
  public Optional<ChunkMeta> lastChunk(ChunkId begin, ChunkId end) {
    return store.lastChunk(begin, end);
  }

  @Override
  public List<ChunkMeta> list(ChunkId begin, ChunkId end, int limit) {
    return store.list(begin, end, limit);
  }

  @Override
  public SpaceInfo space() {
    return store.space();
  }

  @Override
  public CheckReport check(boolean verifyCrc) {
    return store.check(verifyCrc);
  }

  @Override
  public CheckReport startupReport() {
    return store.startupReport();
  }

  @Override
  public void close() {
    store.close();
  }

  @Override
  public String toString() {
    return store.toString();
  }
}
