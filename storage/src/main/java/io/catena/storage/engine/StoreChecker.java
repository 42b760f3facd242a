package io.catena.storage.engine;

import io.catena.common.cluster.ChunkId;
import io.catena.storage.CheckReport;
import io.catena.storage.CheckReport.Kind;
import io.catena.storage.CheckReport.Problem;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Checks a store's chunk records against its data files and its allocator: block addresses, blocks two chunks
 * claim, lengths that do not fit their block or data file, space accounting and, on request, every CRC32C. It
 * reports and never repairs. Thread-safe as far as its caller keeps the records still while it runs
 * ({@link CowChunkStore} shuts updates out); concurrent unpins are accounted for.
 */
final class StoreChecker {
  private final Map<ChunkId, ChunkEntry> chunks;
  private final DataFiles files;
  private final BlockPins pins;

  StoreChecker(Map<ChunkId, ChunkEntry> chunks, DataFiles files, BlockPins pins) {
    this.chunks = chunks;
    this.files = files;
    this.pins = pins;
  }

  /** Checks everything now; {@code initial} are problems found earlier (undecodable records at open). */
  CheckReport check(boolean verifyCrc, List<Problem> initial) {
    List<Problem> problems = new ArrayList<>(initial);
    Map<Long, ChunkId> owners = new HashMap<>();
    long referenced = 0;
    long count = 0;
    long pending = 0;
    long verified = 0;
    for (Map.Entry<ChunkId, ChunkEntry> me : chunks.entrySet()) {
      ChunkId id = me.getKey();
      count++;
      if (me.getValue().pending() != null) {
        pending++;
      }
      for (StoredVersion v : new StoredVersion[] {me.getValue().committed(), me.getValue().pending()}) {
        if (v == null) {
          continue;
        }
        String which = v == me.getValue().committed() ? "committed" : "pending";
        if (!SizeClasses.valid(v.block())) {
          problems.add(new Problem(id, Kind.BAD_BLOCK, which + " version " + v.version() + ": no such block "
              + Long.toHexString(v.block())));
          continue;
        }
        ChunkId owner = owners.putIfAbsent(v.block(), id);
        if (owner == null) {
          referenced += v.capacity();
        } else if (!owner.equals(id)) {
          problems.add(new Problem(id, Kind.SHARED_BLOCK, which + " version " + v.version() + ": block "
              + SizeClasses.describe(v.block()) + " also belongs to chunk " + owner));
        }
        if (v.length() < 0 || v.length() > v.capacity()) {
          problems.add(new Problem(id, Kind.BAD_BLOCK, which + " version " + v.version() + ": length "
              + v.length() + " does not fit block " + SizeClasses.describe(v.block())));
          continue;
        }
        long end = files.position(v.block()) + v.length();
        long fileSize = files.fileSize(v.block());
        if (v.length() > 0 && fileSize < end) {
          problems.add(new Problem(id, Kind.BAD_BLOCK, which + " version " + v.version() + ": block "
              + SizeClasses.describe(v.block()) + " ends at " + end + " but its data file has " + fileSize
              + " bytes"));
          continue;
        }
        if (verifyCrc) {
          int crc = crcOf(v.block(), v.length());
          verified++;
          if (crc != v.crc32c()) {
            problems.add(new Problem(id, Kind.CRC_MISMATCH, String.format("%s version %d: stored CRC32C %08x,"
                + " content %08x (%d bytes in block %s)", which, v.version(), v.crc32c(), crc, v.length(),
                SizeClasses.describe(v.block()))));
          }
        }
      }
    }
    BlockPins.Usage usage = pins.usage();
    if (usage.allocatedBytes() != referenced + usage.pinnedFreedBytes()) {
      problems.add(new Problem(null, Kind.ACCOUNTING, "allocator counts " + usage.allocatedBytes()
          + " bytes used, chunks reference " + referenced + " and pinned freed blocks hold "
          + usage.pinnedFreedBytes()));
    }
    return new CheckReport(count, pending, verified, problems);
  }

  private int crcOf(long block, int length) {
    CRC32C crc = new CRC32C();
    ByteBuffer buf = ByteBuffer.allocate(Math.min(length, 1 << 20));
    for (int off = 0; off < length; ) {
      int n = Math.min(buf.capacity(), length - off);
      files.read(block, off, buf.clear().limit(n));
      crc.update(buf.flip());
      off += n;
    }
    return (int) crc.getValue();
  }
}
