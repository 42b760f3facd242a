package io.catena.storage.engine;

import io.catena.common.cluster.ChunkId;
import io.catena.storage.CheckReport.Kind;
import io.catena.storage.CheckReport.Problem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Rebuilds a store's in-memory state from its metadata records when it opens: the chunk map, and the allocator,
 * which is never stored (a block is in use exactly when a record references it, so a crash can neither leak nor
 * double-book one). Records it cannot decode become problems of the startup report, not errors. Stateless.
 */
final class StoreRecovery {
  private StoreRecovery() {}

  /** The state a store opens with. */
  record Recovered(ConcurrentSkipListMap<ChunkId, ChunkEntry> chunks, BlockAllocator allocator,
      List<Problem> problems) {}

  /**
   * Loads every record of {@code meta}. {@code capacity} 0 means the usable space of {@code dir}'s file system plus
   * what the records already use.
   */
  static Recovered recover(MetaStore meta, Path dir, long capacity) throws IOException {
    List<Problem> problems = new ArrayList<>();
    ConcurrentSkipListMap<ChunkId, ChunkEntry> chunks = load(meta, problems);
    Set<Long> blocks = new HashSet<>();
    long referenced = 0;
    for (ChunkEntry e : chunks.values()) {
      for (StoredVersion v : new StoredVersion[] {e.committed(), e.pending()}) {
        if (v != null && SizeClasses.valid(v.block()) && blocks.add(v.block())) {
          referenced += v.capacity();
        }
      }
    }
    if (capacity == 0) {
      capacity = Files.getFileStore(dir).getUsableSpace() + referenced;
    }
    BlockAllocator allocator = new BlockAllocator(capacity);
    blocks.forEach(allocator::markUsed);
    return new Recovered(chunks, allocator, problems);
  }

  private static ConcurrentSkipListMap<ChunkId, ChunkEntry> load(MetaStore meta, List<Problem> problems) {
    ConcurrentSkipListMap<ChunkId, ChunkEntry> chunks = new ConcurrentSkipListMap<>();
    meta.scan((kind, key, value) -> {
      ChunkId id;
      try {
        id = MetaCodec.chunkOf(key);
      } catch (IllegalArgumentException e) {
        problems.add(new Problem(null, Kind.BAD_RECORD, "undecodable key: " + e.getMessage()));
        return;
      }
      StoredVersion v;
      try {
        v = MetaCodec.decode(value);
      } catch (IllegalArgumentException e) {
        problems.add(new Problem(id, Kind.BAD_RECORD, (kind == MetaCodec.COMMITTED ? "committed" : "pending")
            + " record: " + e.getMessage()));
        return;
      }
      chunks.compute(id, (k, old) -> kind == MetaCodec.COMMITTED
          ? new ChunkEntry(v, old == null ? null : old.pending())
          : new ChunkEntry(old == null ? null : old.committed(), v));
    });
    return chunks;
  }
}
