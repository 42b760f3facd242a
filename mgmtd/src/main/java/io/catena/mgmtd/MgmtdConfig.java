package io.catena.mgmtd;

import io.catena.common.config.Key;
import java.time.Duration;

/** The {@code mgmtd.*} configuration keys. Immutable constants. */
public final class MgmtdConfig {
  private MgmtdConfig() {}

  public static final Key<String> CLUSTER_ID = Key.string("cluster.id").defaultValue("catena")
      .check(s -> s.matches("[A-Za-z0-9_.-]{1,64}"), "1-64 characters of [A-Za-z0-9_.-]")
      .doc("The cluster's name. Written to the KV store by the first mgmtd; every request must carry it, so a node"
          + " configured for another cluster is refused instead of corrupting this one. One key for every role.");

  public static final Key<Duration> LEASE_DURATION = Key.duration("mgmtd.lease_duration").defaultValue("30s")
      .min("1s").doc("How long a primary's lease lasts without renewal. Another mgmtd takes over only after it"
          + " expires, so this bounds the time without a primary after the primary dies.");

  public static final Key<Duration> LEASE_RENEW_INTERVAL = Key.duration("mgmtd.lease_renew_interval")
      .defaultValue("5s").min("100ms").doc("How often the primary renews its lease; must be well below"
          + " mgmtd.lease_duration so a slow KV commit does not cost the lease.");

  public static final Key<Duration> HEARTBEAT_TIMEOUT = Key.duration("mgmtd.heartbeat_timeout").defaultValue("30s")
      .min("1s").hotUpdatable().doc("A node that has not heartbeated for this long is declared failed and its"
          + " targets go offline. Services stop serving on their own after half of it without mgmtd.");

  public static final Key<Duration> PRIMARY_GRACE_PERIOD = Key.duration("mgmtd.primary_grace_period")
      .defaultValue("35s").min("0s").hotUpdatable().doc("After becoming primary, how long to collect heartbeats"
          + " before declaring nodes failed or changing target states: nodes may not have found the new primary"
          + " yet. Keep it above mgmtd.heartbeat_timeout.");

  public static final Key<Duration> CLIENT_SESSION_TIMEOUT = Key.duration("mgmtd.client_session_timeout")
      .defaultValue("5min").min("1s").hotUpdatable().doc("A client session (mount, native client) not extended"
          + " for this long expires; meta then prunes the client's write sessions.");

  public static final Key<Duration> TICK_INTERVAL = Key.duration("mgmtd.tick_interval").defaultValue("1s")
      .min("10ms").doc("How often the background scheduler renews the lease, detects failures and scans chains.");
}
