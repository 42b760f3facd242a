package io.catena.storage;

import java.nio.channels.FileChannel;

/**
 * A pinned view of a committed chunk version for zero-copy transfer ({@code channel.transferTo(position, length,
 * socket)}): while the handle is open the block behind it is not reused, even if a newer version is committed or
 * the chunk is removed. The committed bytes in the range never change while pinned. Close it exactly when the
 * transfer is done; closing twice is harmless. Thread-safe. Do not close the channel.
 */
public interface ChunkReadHandle extends AutoCloseable {
  FileChannel channel();

  /** Absolute position in {@link #channel()} of the first requested byte. */
  long position();

  /** Bytes available from {@link #position()} (clipped to the committed length). */
  int length();

  /** The committed version this handle shows. */
  long version();

  int chunkLength();

  int chunkCrc32c();

  @Override
  void close();
}
