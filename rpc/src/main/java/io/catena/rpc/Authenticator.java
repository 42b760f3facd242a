package io.catena.rpc;

import io.catena.common.Status;
import java.net.SocketAddress;

/**
 * Decides, before a handler runs, whether a request may proceed. Runs on an I/O thread, so it must be cheap and
 * never block. Implementations must be thread-safe.
 */
@FunctionalInterface
public interface Authenticator {

  /** Accepts everything; the default until real tokens exist. */
  Authenticator ACCEPT_ALL = (token, peer, method) -> Status.ok();

  /**
   * @param token the request's token bytes, empty when none was sent (do not modify)
   * @return OK to run the call, or the error to reply with (typically EACCES)
   */
  Status authenticate(byte[] token, SocketAddress peer, MethodDescriptor<?, ?> method);
}
