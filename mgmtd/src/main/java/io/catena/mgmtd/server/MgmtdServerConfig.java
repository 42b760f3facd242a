package io.catena.mgmtd.server;

import io.catena.common.config.Key;
import java.time.Duration;

/** The keys only the mgmtd server reads: its lease and its scheduler. Immutable constants. */
public final class MgmtdServerConfig {
  private MgmtdServerConfig() {}

  public static final Key<Duration> LEASE_DURATION = Key.duration("mgmtd.lease_duration").defaultValue("30s")
      .min("1s").doc("How long a primary's lease lasts without renewal. Another mgmtd takes over only after it"
          + " expires, so this bounds the time without a primary after the primary dies.");

  public static final Key<Duration> LEASE_RENEW_INTERVAL = Key.duration("mgmtd.lease_renew_interval")
      .defaultValue("5s").min("100ms").doc("How often the primary renews its lease; must be well below"
          + " mgmtd.lease_duration so a slow KV commit does not cost the lease.");

  public static final Key<Duration> PRIMARY_GRACE_PERIOD = Key.duration("mgmtd.primary_grace_period")
      .defaultValue("35s").min("0s").hotUpdatable().doc("After becoming primary, how long to collect heartbeats"
          + " before declaring nodes failed or changing target states: nodes may not have found the new primary"
          + " yet. Keep it above mgmtd.heartbeat_timeout.");

  public static final Key<Duration> TICK_INTERVAL = Key.duration("mgmtd.tick_interval").defaultValue("1s")
      .min("10ms").doc("How often the background scheduler renews the lease, detects failures and scans chains.");

  public static final Key<Integer> DRAIN_MOVES_PER_NODE = Key.integer("mgmtd.drain_moves_per_node")
      .defaultValue("1").range("1", "64").hotUpdatable().doc("How many chains of one draining node get a replacement"
          + " replica at a time. Each move resyncs a whole chain's data onto another node; one at a time keeps"
          + " the copy from starving client I/O.");
}
