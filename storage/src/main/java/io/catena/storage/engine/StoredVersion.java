package io.catena.storage.engine;

/**
 * One chunk version as recorded in the metadata store: which block holds it and what it is. Immutable.
 *
 * @param block block address ({@link SizeClasses#block})
 */
record StoredVersion(long chainId, long version, long chainVersion, int length, int crc32c, long block,
    long mtimeMillis) {

  int capacity() {
    return SizeClasses.blockSizeOf(block);
  }
}
