package io.catena.meta;

import io.catena.common.CatenaException;
import io.catena.common.Errno;

/**
 * An advisory lock request. {@code owner} is the lock owner within the client: the open file description for
 * flock(2), the lock-owner id FUSE passes for fcntl(2) byte-range locks. Ranges are {@code [start, start+length)};
 * length 0 means "to the end of the file and beyond". flock requests ignore the range. Immutable.
 */
public record LockRequest(String clientId, long owner, Kind kind, Type type, long start, long length) {

  /**
   * flock(2) whole-file locks and fcntl(2) byte-range locks are independent of each other, as on Linux. The order of
   * both enums is persisted in lock records: append only.
   */
  public enum Kind { FLOCK, POSIX }

  public enum Type { READ, WRITE, UNLOCK }

  public LockRequest {
    if (clientId == null || clientId.isEmpty() || clientId.length() > 128) {
      throw CatenaException.of(Errno.EINVAL, "a lock needs a client id");
    }
    if (kind == null || type == null) {
      throw CatenaException.of(Errno.EINVAL, "lock kind and type are required");
    }
    if (kind == Kind.FLOCK) {
      start = 0;
      length = 0;
    }
    if (start < 0 || length < 0) {
      throw CatenaException.of(Errno.EINVAL, "negative lock range %d+%d", start, length);
    }
  }

  public static LockRequest flock(String clientId, long owner, Type type) {
    return new LockRequest(clientId, owner, Kind.FLOCK, type, 0, 0);
  }

  public static LockRequest range(String clientId, long owner, Type type, long start, long length) {
    return new LockRequest(clientId, owner, Kind.POSIX, type, start, length);
  }

  /** The exclusive end of the range ({@link Long#MAX_VALUE} for "to the end"). */
  public long end() {
    if (length == 0) {
      return Long.MAX_VALUE;
    }
    long e = start + length;
    return e < 0 ? Long.MAX_VALUE : e;
  }
}
