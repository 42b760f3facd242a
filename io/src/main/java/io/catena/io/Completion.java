package io.catena.io;

/**
 * One completed ring entry: the submission's user data and the bytes it moved, or {@code -errno}. Immutable.
 */
public record Completion(long userData, long result) {
  public boolean ok() {
    return result >= 0;
  }
}
