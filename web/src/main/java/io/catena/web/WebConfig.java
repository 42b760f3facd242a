package io.catena.web;

import io.catena.common.config.Key;
import java.time.Duration;

/** The {@code web.*} keys of the dashboard. Immutable constants. */
public final class WebConfig {
  private WebConfig() {}

  public static final Key<Boolean> ENABLED = Key.bool("web.enabled").defaultValue("true")
      .doc("Serve the cluster dashboard at / of monitor.http_listen (catena up and catena monitor).");

  public static final Key<String> TOKEN = Key.string("web.token").defaultValue("").secret()
      .doc("Token the dashboard asks for (open /?token=T once: a cookie keeps it). Empty: no token, which is only"
          + " allowed while monitor.http_listen is a loopback address; beyond loopback the dashboard refuses to start"
          + " without one.");

  public static final Key<Duration> REFRESH = Key.duration("web.refresh").defaultValue("2s").range("500ms", "1m")
      .doc("How often an open dashboard page refreshes its content.");
}
