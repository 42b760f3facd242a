package io.catena.metrics;

import io.catena.common.config.Config;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one metrics registry of a process and what exports it: a Prometheus registry whose every series carries the
 * process's {@code role}, {@code node} and {@code host}, the JVM and process meters (heap, GC pauses, threads, CPU,
 * file descriptors), the HTTP endpoint of {@code monitor.http_listen} and the pusher of {@code monitor.push_to}.
 * The launcher makes one per process and passes {@link #registry()} to everything it builds. Thread-safe.
 */
public final class ProcessMetrics implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ProcessMetrics.class);

  private final PrometheusMeterRegistry registry;
  private final List<AutoCloseable> resources = new ArrayList<>();
  private final String role;
  private final String node;
  private final String host;
  private volatile Supplier<String> health = () -> null;
  private MetricsHttpServer http;
  private MetricsPusher pusher;

  private ProcessMetrics(String role, String node) {
    this.role = role;
    this.node = node;
    this.host = hostName();
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().commonTags(List.of(Tag.of("role", role), Tag.of("node", node), Tag.of("host", host)));
    new JvmMemoryMetrics().bindTo(registry);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    resources.add(gc);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    // Prometheus's standard name for process CPU time (Micrometer reports only a usage ratio).
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      io.micrometer.core.instrument.FunctionCounter.builder("process.cpu", os,
          b -> b.getProcessCpuTime() / 1e9).baseUnit("seconds").description("CPU time this process used")
          .register(registry);
    }
  }

  /**
   * The registry of a process, its endpoint and its pusher as {@code config} says ({@link MetricsConfig}).
   *
   * @param role e.g. {@code storage}
   * @param node how the cluster names this process, e.g. its node id
   */
  public static ProcessMetrics start(String role, String node, Config config, Clock clock) {
    ProcessMetrics m = new ProcessMetrics(role, node);
    try {
      String listen = config.get(MetricsConfig.HTTP_LISTEN);
      if (!listen.isEmpty()) {
        m.http = MetricsHttpServer.start(listen, m.registry::scrape, () -> m.health.get());
        m.resources.add(m.http);
      }
      String pushTo = config.get(MetricsConfig.PUSH_TO);
      if (!pushTo.isEmpty()) {
        m.pusher = new MetricsPusher(pushTo, config.get(MetricsConfig.PUSH_INTERVAL),
            config.get(MetricsConfig.PUSH_TOKEN), m.registry::scrape, role + " " + node + " " + m.host, m.registry,
            clock);
        m.resources.add(m.pusher);
      }
      return m;
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /**
   * Publishes {@code catena_build_info}{version, java} = 1, what the dashboard shows as a node's version and what
   * Prometheus users join on.
   */
  public ProcessMetrics buildInfo(String version) {
    io.micrometer.core.instrument.Gauge.builder("catena.build.info", () -> 1)
        .tags("version", version, "java", Runtime.version().feature() + "")
        .description("The Catena build this process runs").register(registry);
    return this;
  }

  /** A registry with JVM meters and nothing exported (benchmarks, tests). */
  public static ProcessMetrics unexported(String role, String node) {
    return new ProcessMetrics(role, node);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** The current samples in Prometheus text format. */
  public String scrape() {
    return registry.scrape();
  }

  /** The HTTP endpoint, unless {@code monitor.http_listen} is empty. */
  public Optional<MetricsHttpServer> http() {
    return Optional.ofNullable(http);
  }

  public Optional<MetricsPusher> pusher() {
    return Optional.ofNullable(pusher);
  }

  /** What /healthz reports: null when healthy, else the problem (answered with 503). */
  public void health(Supplier<String> check) {
    this.health = check;
  }

  public String role() {
    return role;
  }

  public String node() {
    return node;
  }

  public String host() {
    return host;
  }

  /** One line for start-up output: where /metrics is served, or that it is off. */
  public String describe() {
    return http == null ? "metrics endpoint off" : "metrics " + http.url() + "/metrics";
  }

  @Override
  public synchronized void close() {
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception e) {
        LOG.warn("closing {} failed", resources.get(i), e);
      }
    }
    resources.clear();
    registry.close();
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      return "localhost";
    }
  }
}
