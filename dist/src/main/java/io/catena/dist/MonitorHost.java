package io.catena.dist;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.metrics.MetricsConfig;
import io.catena.metrics.MetricsHttpServer;
import io.catena.metrics.ProcessMetrics;
import io.catena.mgmtd.MgmtdService;
import io.catena.monitor.Monitor;
import io.catena.monitor.MonitorConfig;
import io.catena.web.Dashboard;
import io.catena.web.WebConfig;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The monitor and the dashboard on a process's HTTP endpoint, as {@code catena up} and {@code catena monitor} run
 * them: pushes arrive at /push, the dashboard is served at /, and the hosting process's own samples are collected
 * directly, without a push to itself. Thread-safe: {@link #close} runs once.
 */
final class MonitorHost implements AutoCloseable {
  private final Monitor monitor;
  private final ScheduledExecutorService self;
  private final MetricsHttpServer http;
  private final boolean dashboard;

  private MonitorHost(Monitor monitor, ScheduledExecutorService self, MetricsHttpServer http, boolean dashboard) {
    this.monitor = monitor;
    this.self = self;
    this.http = http;
    this.dashboard = dashboard;
  }

  /**
   * Starts collecting on {@code metrics}' endpoint and, with {@code mgmtd} and web.enabled, the dashboard.
   *
   * @throws CatenaException EINVAL when monitor.http_listen is empty: a monitor needs an endpoint
   */
  static MonitorHost start(ProcessMetrics metrics, Config config, Optional<MgmtdService> mgmtd, String clusterId) {
    MetricsHttpServer http = metrics.http().orElseThrow(() -> CatenaException.of(Errno.EINVAL,
        "the monitor needs an HTTP endpoint: monitor.http_listen is empty"));
    Clock clock = Clock.systemUTC();
    Monitor monitor = Monitor.start(config, metrics.registry(), clock, http);
    ScheduledExecutorService self = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon()
        .name("monitor-self").factory());
    try {
      long every = config.get(MetricsConfig.PUSH_INTERVAL).toMillis();
      self.scheduleWithFixedDelay(() -> monitor.collector().accept("self", metrics.scrape()), 0, every,
          TimeUnit.MILLISECONDS);
      boolean web = mgmtd.isPresent() && config.get(WebConfig.ENABLED);
      if (web) {
        Dashboard.mount(http, mgmtd.get(), clusterId, monitor.collector(), monitor.clickHouse(), config, clock);
      }
      return new MonitorHost(monitor, self, http, web);
    } catch (RuntimeException e) {
      self.shutdownNow();
      monitor.close();
      throw e;
    }
  }

  /** Where processes push: {@code host:port} of monitor.push_to. */
  String pushAddress() {
    return http.address().getAddress().getHostAddress() + ":" + http.address().getPort();
  }

  /** One line for start-up output. */
  String describe(Config config) {
    String ch = config.get(MonitorConfig.CLICKHOUSE_URL);
    return (dashboard ? "dashboard " + http.url() + "/, " : "") + "samples to "
        + (ch.isEmpty() ? "memory only (set monitor.clickhouse.url for ClickHouse)" : "ClickHouse " + ch);
  }

  Monitor monitor() {
    return monitor;
  }

  @Override
  public void close() {
    self.shutdownNow();
    monitor.close();
  }
}
