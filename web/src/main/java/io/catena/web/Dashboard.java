package io.catena.web;

import com.sun.net.httpserver.HttpExchange;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigException;
import io.catena.metrics.MetricsHttpServer;
import io.catena.mgmtd.MgmtdService;
import io.catena.monitor.ClickHouseSink;
import io.catena.monitor.Collector;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster dashboard (MooseFS's CGI monitor, for Catena): overview, nodes, targets, chains, metadata, clients and
 * charts, as server-rendered HTML on the monitor's HTTP endpoint; a few lines of script re-fetch the page's content
 * every {@code web.refresh} so an open page follows the cluster. Cluster state comes from mgmtd, figures from the
 * monitor's collector. Read-only: GET and HEAD only, nothing on a page changes anything. Access: bound to loopback
 * (the default) it is open to this machine's users; anywhere else it requires {@code web.token}, given once as
 * {@code ?token=} and then kept in an HttpOnly cookie. Thread-safe: stateless apart from the cached cluster state.
 */
public final class Dashboard {
  private static final Logger LOG = LoggerFactory.getLogger(Dashboard.class);
  private static final String COOKIE = "catena_web";

  private record Page(String title, Function<Render, String> body) {}

  private record Render(ClusterState state, long now) {}

  private final ClusterState.Source cluster;
  private final Collector collector;
  private final Optional<ClickHouseSink> clickHouse;
  private final Clock clock;
  private final String token;
  private final long refreshMillis;
  private final Map<String, Page> pages = new LinkedHashMap<>();

  private Dashboard(ClusterState.Source cluster, Collector collector, Optional<ClickHouseSink> clickHouse,
      Clock clock, String token, long refreshMillis) {
    this.cluster = cluster;
    this.collector = collector;
    this.clickHouse = clickHouse;
    this.clock = clock;
    this.token = token;
    this.refreshMillis = refreshMillis;
    pages.put("/", new Page("Overview", r -> StatusPages.overview(r.state(), collector, clickHouse)));
    pages.put("/nodes", new Page("Nodes", r -> ClusterPages.nodes(r.state(), collector, r.now())));
    pages.put("/targets", new Page("Targets", r -> ClusterPages.targets(r.state(), collector)));
    pages.put("/chains", new Page("Chains", r -> ClusterPages.chains(r.state())));
    pages.put("/metadata", new Page("Metadata", r -> StatusPages.metadata(collector)));
    pages.put("/clients", new Page("Clients", r -> ClusterPages.clients(r.state(), collector, r.now())));
    pages.put("/charts", new Page("Charts", r -> StatusPages.charts(collector)));
  }

  /**
   * Serves the dashboard at / of {@code http}.
   *
   * @param mgmtd where cluster state comes from (an mgmtd client, or the local server)
   * @throws ConfigException when {@code http} is reachable beyond loopback and {@code web.token} is empty
   */
  public static Dashboard mount(MetricsHttpServer http, MgmtdService mgmtd, String clusterId, Collector collector,
      Optional<ClickHouseSink> clickHouse, Config config, Clock clock) {
    String token = config.get(WebConfig.TOKEN);
    if (!http.loopbackOnly() && token.isEmpty()) {
      throw new ConfigException("the dashboard would be served on " + http.url() + ", beyond loopback, to anyone:"
          + " set web.token (or bind monitor.http_listen to 127.0.0.1)");
    }
    long refresh = config.get(WebConfig.REFRESH).toMillis();
    Dashboard d = new Dashboard(new ClusterState.Source(mgmtd, clusterId, clock, Math.max(250, refresh / 2)),
        collector, clickHouse, clock, token, refresh);
    http.handle("/", d::serve);
    LOG.info("dashboard at {}/{}", http.url(), token.isEmpty() ? " (loopback only, no token)" : " (token required)");
    return d;
  }

  private void serve(HttpExchange ex) throws IOException {
    String method = ex.getRequestMethod();
    if (!method.equals("GET") && !method.equals("HEAD")) {
      ex.getResponseHeaders().set("Allow", "GET, HEAD");
      MetricsHttpServer.respond(ex, 405, "text/plain; charset=utf-8", "the dashboard is read-only\n");
      return;
    }
    String path = ex.getRequestURI().getPath();
    Map<String, String> query = query(ex.getRequestURI().getRawQuery());
    if (!token.isEmpty()) {
      String given = query.get("token");
      if (given != null && same(given, token)) {
        // Trade the token in the URL for a cookie, and drop it from the address bar and history.
        ex.getResponseHeaders().add("Set-Cookie", COOKIE + "=" + token + "; HttpOnly; SameSite=Strict; Path=/");
        ex.getResponseHeaders().set("Location", path);
        ex.sendResponseHeaders(303, -1);
        ex.close();
        return;
      }
      if (!same(cookie(ex), token)) {
        MetricsHttpServer.respond(ex, 401, "text/html; charset=utf-8", "<!doctype html><title>Catena</title><p>This"
            + " dashboard needs its token: open <code>" + Html.esc(path) + "?token=...</code> (web.token).</p>");
        return;
      }
    }
    Page page = pages.get(path);
    if (page == null) {
      MetricsHttpServer.respond(ex, 404, "text/plain; charset=utf-8", "no such page\n");
      return;
    }
    ex.getResponseHeaders().set("X-Frame-Options", "DENY");
    ex.getResponseHeaders().set("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline';"
        + " script-src 'unsafe-inline'; img-src 'self' data:");
    ClusterState st = cluster.get();
    long now = clock.millis();
    String body = page.body().apply(new Render(st, now));
    String main = (st.error() == null ? "" : "<p class=\"alert\" id=\"error\">" + Html.esc(st.error()) + "</p>")
        + body;
    if (query.containsKey("fragment")) {
      MetricsHttpServer.respond(ex, 200, "text/html; charset=utf-8", main);
    } else {
      MetricsHttpServer.respond(ex, 200, "text/html; charset=utf-8", Layout.page(cluster.clusterId(), path,
          page.title(), pages.entrySet().stream().map(e -> Map.entry(e.getKey(), e.getValue().title())).toList(),
          main, now, refreshMillis));
    }
  }

  private static boolean same(String a, String b) {
    return a != null && MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  private static String cookie(HttpExchange ex) {
    for (String header : ex.getRequestHeaders().getOrDefault("Cookie", java.util.List.of())) {
      for (String part : header.split(";")) {
        String p = part.trim();
        if (p.startsWith(COOKIE + "=")) {
          return p.substring(COOKIE.length() + 1);
        }
      }
    }
    return null;
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> m = new LinkedHashMap<>();
    if (raw == null) {
      return m;
    }
    for (String kv : raw.split("&")) {
      int eq = kv.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
      m.put(k, eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
    }
    return m;
  }
}
