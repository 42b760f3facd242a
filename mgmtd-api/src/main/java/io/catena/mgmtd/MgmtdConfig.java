package io.catena.mgmtd;

import io.catena.common.config.Key;
import java.time.Duration;

/** The cluster-wide keys every role reads (cluster id, heartbeat and session timeouts). Immutable constants. */
public final class MgmtdConfig {
  private MgmtdConfig() {}

  public static final Key<String> CLUSTER_ID = Key.string("cluster.id").defaultValue("catena")
      .check(s -> s.matches("[A-Za-z0-9_.-]{1,64}"), "1-64 characters of [A-Za-z0-9_.-]")
      .doc("The cluster's name. Written to the KV store by the first mgmtd; every request must carry it, so a node"
          + " configured for another cluster is refused instead of corrupting this one. One key for every role.");

  public static final Key<Duration> HEARTBEAT_TIMEOUT = Key.duration("mgmtd.heartbeat_timeout").defaultValue("30s")
      .min("1s").hotUpdatable().doc("A node that has not heartbeated for this long is declared failed and its"
          + " targets go offline. Services stop serving on their own after half of it without mgmtd.");

  public static final Key<Duration> CLIENT_SESSION_TIMEOUT = Key.duration("mgmtd.client_session_timeout")
      .defaultValue("5min").min("1s").hotUpdatable().doc("A client session (mount, native client) not extended"
          + " for this long expires; meta then prunes the client's write sessions.");

}
