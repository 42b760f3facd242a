package io.catena.meta;

import io.catena.common.CatenaException;
import io.catena.common.Errno;

/**
 * Names one mutation by its client and the client's request counter, so a retried create, rename or remove returns
 * the first answer instead of EEXIST/ENOENT. Pass null where the caller does not need this. Immutable.
 */
public record RequestId(String clientId, long seq) {
  public RequestId {
    if (clientId == null || clientId.isEmpty() || clientId.length() > 128 || clientId.indexOf('\0') >= 0) {
      throw CatenaException.of(Errno.EINVAL, "bad client id");
    }
  }
}
