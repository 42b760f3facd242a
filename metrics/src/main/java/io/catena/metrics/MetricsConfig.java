package io.catena.metrics;

import io.catena.common.config.Key;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * The {@code monitor.*} keys every process reads: where it serves {@code /metrics} and {@code /healthz}, and where
 * it pushes its samples. Immutable constants.
 */
public final class MetricsConfig {
  private MetricsConfig() {}

  public static final Key<String> HTTP_LISTEN = Key.string("monitor.http_listen").defaultValue("127.0.0.1:0")
      .check(MetricsConfig::isListenOrEmpty, "empty (off) or host:port, e.g. 127.0.0.1:9400 (port 0: any free one)")
      .doc("Where this process serves GET /metrics (Prometheus text) and /healthz over HTTP; empty turns it off."
          + " Loopback by default: name another address to let Prometheus on other hosts scrape.");

  public static final Key<String> PUSH_TO = Key.string("monitor.push_to").defaultValue("")
      .check(v -> v.isEmpty() || isHostPort(v), "empty (off) or host:port of a catena monitor")
      .doc("The monitor (its monitor.http_listen) this process pushes its samples to every monitor.push_interval;"
          + " empty: no pushing. A monitor that is down costs this process nothing but a counted failure.");

  public static final Key<Duration> PUSH_INTERVAL = Key.duration("monitor.push_interval").defaultValue("10s")
      .range("1s", "10m").doc("How often samples are pushed to monitor.push_to.");

  public static final Key<String> PUSH_TOKEN = Key.string("monitor.push_token").defaultValue("").secret()
      .doc("Shared secret sent with pushes (Authorization: Bearer) and required by a monitor that sets it. A monitor"
          + " listening beyond loopback refuses to start without one.");

  static boolean isListenOrEmpty(String v) {
    return v.isEmpty() || isHostPort(v);
  }

  /** {@code host:port} or {@code [v6]:port}, port 0..65535. */
  public static boolean isHostPort(String v) {
    try {
      parse(v);
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** Parses {@code host:port} (unresolved: binding or connecting resolves it). */
  public static InetSocketAddress parse(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0 || colon == hostPort.length() - 1) {
      throw new IllegalArgumentException("not host:port: '" + hostPort + "'");
    }
    String host = hostPort.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    if (host.isEmpty() || host.contains("/")) {
      throw new IllegalArgumentException("not host:port: '" + hostPort + "'");
    }
    int port = Integer.parseInt(hostPort.substring(colon + 1));
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range in '" + hostPort + "'");
    }
    return InetSocketAddress.createUnresolved(host, port);
  }
}
