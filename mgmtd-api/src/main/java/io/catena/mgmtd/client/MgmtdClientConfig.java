package io.catena.mgmtd.client;

import io.catena.common.config.Key;
import io.catena.common.net.Address;
import java.time.Duration;
import java.util.List;

/**
 * Keys of the mgmtd client every role embeds (services register and heartbeat; clients fetch routing). Add this
 * holder to a role's schema when the role talks to mgmtd. Immutable constants.
 */
public final class MgmtdClientConfig {
  private MgmtdClientConfig() {}

  /** The same key as mgmtd's: one definition of the cluster id for every role. */
  public static final Key<String> CLUSTER_ID = io.catena.mgmtd.MgmtdConfig.CLUSTER_ID;

  public static final Key<List<String>> ADDRESSES = Key.addressList("mgmtd.client.addresses")
      .defaultValue("tcp://127.0.0.1:8000")
      .doc("Where the mgmtd instances listen. Any one is enough: a non-primary redirects to the primary, and the"
          + " client fails over to the next address when one does not answer.");

  public static final Key<Duration> HEARTBEAT_INTERVAL = Key.duration("mgmtd.client.heartbeat_interval")
      .defaultValue("5s").min("10ms").hotUpdatable()
      .doc("How often a service heartbeats to mgmtd; keep it well below mgmtd.heartbeat_timeout (30s).");

  public static final Key<Duration> ROUTING_REFRESH_INTERVAL = Key.duration("mgmtd.client.routing_refresh_interval")
      .defaultValue("10s").min("10ms")
      .doc("How often the routing cache polls for a newer routing version. Services also learn the version from"
          + " every heartbeat reply and refetch at once, so this is the fallback for processes without heartbeats.");

  public static final Key<Duration> TIMEOUT = Key.duration("mgmtd.client.timeout").defaultValue("15s").min("10ms")
      .doc("How long one mgmtd call may take in all, following redirects, failing over and retrying retryable"
          + " errors; above mgmtd.lease_duration lets a call ride out a failover.");

  public static final Key<Duration> ATTEMPT_TIMEOUT = Key.duration("mgmtd.client.attempt_timeout")
      .defaultValue("3s").min("10ms")
      .doc("How long one attempt against one mgmtd address may take before the client tries the next one.");
}
