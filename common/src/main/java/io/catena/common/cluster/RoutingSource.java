package io.catena.common.cluster;

import java.util.function.Consumer;

/**
 * Where a service or client gets the cluster's routing info: the mgmtd client's routing cache in production, a
 * fixed or hand-driven source in tests. Thread-safe: implementations may be read and refreshed from any thread.
 */
public interface RoutingSource {

  /** The newest routing info this source knows. */
  RoutingInfo current();

  /**
   * Asks for routing newer than {@code seenVersion}, e.g. after a peer rejected a request for a stale chain version;
   * returns the newest known (possibly still {@code seenVersion} if nothing newer exists yet). May block briefly.
   */
  RoutingInfo refresh(long seenVersion);

  /** Calls {@code listener} with each new routing version after this call; returns a handle that unsubscribes. */
  AutoCloseable subscribe(Consumer<RoutingInfo> listener);
}
