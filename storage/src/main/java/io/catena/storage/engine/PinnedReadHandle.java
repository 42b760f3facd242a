package io.catena.storage.engine;

import io.catena.storage.ChunkReadHandle;
import java.nio.channels.FileChannel;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A range of a committed version whose block stays pinned (not reused) until the handle is closed, so the bytes can
 * be sent from the data file without copying. Thread-safe: closing is idempotent and atomic.
 */
final class PinnedReadHandle implements ChunkReadHandle {
  private final StoredVersion v;
  private final DataFiles files;
  private final BlockPins pins;
  private final long position;
  private final int length;
  private final AtomicBoolean released = new AtomicBoolean();

  /** Takes over the pin the caller holds on {@code v}'s block. */
  PinnedReadHandle(StoredVersion v, DataFiles files, BlockPins pins, long position, int length) {
    this.v = v;
    this.files = files;
    this.pins = pins;
    this.position = position;
    this.length = length;
  }

  @Override
  public FileChannel channel() {
    return files.channel(v.block());
  }

  @Override
  public long position() {
    return position;
  }

  @Override
  public int length() {
    return length;
  }

  @Override
  public long version() {
    return v.version();
  }

  @Override
  public int chunkLength() {
    return v.length();
  }

  @Override
  public int chunkCrc32c() {
    return v.crc32c();
  }

  @Override
  public void close() {
    if (released.compareAndSet(false, true)) {
      pins.unpin(v.block());
    }
  }
}
