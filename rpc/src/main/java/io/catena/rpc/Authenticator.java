package io.catena.rpc;

import io.catena.common.cluster.UserAccount;
import java.net.SocketAddress;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Decides, before a handler runs, whether a request may proceed and on whose behalf. Called on an I/O thread: it
 * must not block, so an answer that needs a remote lookup comes back as an incomplete future and the server
 * dispatches the request when it completes. Implementations must be thread-safe.
 */
@FunctionalInterface
public interface Authenticator {

  /** Accepts everything without an identity: in-process tests and servers nobody configured a token check for. */
  Authenticator ACCEPT_ALL = (token, peer, method) -> CompletableFuture.completedFuture(Optional.empty());

  /**
   * @param token the request's token bytes, empty when none was sent (do not modify)
   * @return the user the token belongs to (empty: accepted without an identity), or a future failed with a
   *     {@link io.catena.common.CatenaException} whose status is the reply (typically EACCES)
   */
  CompletableFuture<Optional<UserAccount>> authenticate(byte[] token, SocketAddress peer,
      MethodDescriptor<?, ?> method);
}
