package io.catena.storage.client;

import io.catena.common.config.Key;
import java.time.Duration;

/** The keys of the storage client (also read by storage nodes, which are clients of their successors). */
public final class StorageClientConfig {
  private StorageClientConfig() {}

  public static final Key<Duration> RETRY_WAIT = Key.duration("storage.retry_wait")
      .defaultValue("200ms").range("1ms", "10s")
      .doc("After a retryable failure talking to a peer, how long to wait for a newer routing version before"
          + " retrying anyway.");

  public static final Key<Duration> CLIENT_TIMEOUT = Key.duration("storage.client_timeout")
      .defaultValue("60s").range("100ms", "1h")
      .doc("How long the storage client keeps retrying one chunk operation through routing changes and failed"
          + " replicas before failing it.");
}
