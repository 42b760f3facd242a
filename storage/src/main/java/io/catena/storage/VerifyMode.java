package io.catena.storage;

/** How much the chunk engine checks when it opens. */
public enum VerifyMode {
  /** Block references only: within a data file, no block shared by two chunks, space accounting. */
  METADATA,
  /** Also reads every chunk version and compares its CRC32C (reads the whole disk). */
  FULL
}
