package io.catena.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A process's HTTP endpoint ({@code monitor.http_listen}): {@code GET /metrics} and {@code GET /healthz}, plus the
 * pages other parts mount on it (the monitor's push receiver, the dashboard). Two daemon threads serve it, apart from
 * every thread that does the process's real work, so a slow scraper delays only other scrapers. Thread-safe.
 */
public final class MetricsHttpServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MetricsHttpServer.class);
  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private final HttpServer server;
  private final ExecutorService threads;
  private final String url;

  private MetricsHttpServer(HttpServer server, ExecutorService threads, String url) {
    this.server = server;
    this.threads = threads;
    this.url = url;
  }

  /**
   * Binds {@code hostPort} and serves {@code scrape} at /metrics and {@code health} at /healthz (200 when it returns
   * null, else 503 with its text).
   *
   * @throws CatenaException EADDRINUSE or EINVAL when it cannot bind
   */
  public static MetricsHttpServer start(String hostPort, Supplier<String> scrape, Supplier<String> health) {
    InetSocketAddress want = MetricsConfig.parse(hostPort);
    HttpServer s;
    try {
      s = HttpServer.create(new InetSocketAddress(InetAddress.getByName(want.getHostString()), want.getPort()), 64);
    } catch (java.net.BindException e) {
      throw CatenaException.of(Errno.EADDRINUSE, "cannot serve metrics on %s: %s", hostPort, e.getMessage());
    } catch (IOException e) {
      throw CatenaException.of(Errno.EINVAL, "cannot serve metrics on %s: %s", hostPort, e.getMessage());
    }
    ExecutorService threads = Executors.newFixedThreadPool(2,
        Thread.ofPlatform().daemon().name("metrics-http-", 0).factory());
    s.setExecutor(threads);
    s.createContext("/metrics", ex -> {
      if (!allowGet(ex)) {
        return;
      }
      respond(ex, 200, PROMETHEUS_TEXT, scrape.get());
    });
    s.createContext("/healthz", ex -> {
      if (!allowGet(ex)) {
        return;
      }
      String problem = health.get();
      respond(ex, problem == null ? 200 : 503, "text/plain; charset=utf-8", problem == null ? "ok\n" : problem + "\n");
    });
    s.start();
    InetSocketAddress bound = s.getAddress();
    String host = bound.getAddress().getHostAddress();
    String url = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + bound.getPort();
    LOG.info("serving /metrics and /healthz on {}", url);
    return new MetricsHttpServer(s, threads, url);
  }

  /** Mounts {@code handler} at {@code path} (everything beneath it too). */
  public void handle(String path, HttpHandler handler) {
    server.createContext(path, ex -> {
      try {
        handler.handle(ex);
      } catch (RuntimeException e) {
        LOG.warn("HTTP {} {} failed", ex.getRequestMethod(), ex.getRequestURI(), e);
        respond(ex, 500, "text/plain; charset=utf-8", "internal error\n");
      } finally {
        ex.close();
      }
    });
  }

  /** {@code http://host:port} as bound (the real port when 0 was asked for). */
  public String url() {
    return url;
  }

  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** Whether the bound address is a loopback one (only this machine can reach it). */
  public boolean loopbackOnly() {
    return server.getAddress().getAddress().isLoopbackAddress();
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }

  private static boolean allowGet(HttpExchange ex) throws IOException {
    String m = ex.getRequestMethod();
    if (m.equals("GET") || m.equals("HEAD")) {
      return true;
    }
    ex.getResponseHeaders().set("Allow", "GET, HEAD");
    respond(ex, 405, "text/plain; charset=utf-8", "method not allowed\n");
    return false;
  }

  /** Writes a whole response and closes the exchange. */
  public static void respond(HttpExchange ex, int status, String contentType, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", contentType);
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    boolean head = ex.getRequestMethod().equals("HEAD");
    ex.sendResponseHeaders(status, head ? -1 : bytes.length);
    if (!head) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }
    ex.close();
  }
}
