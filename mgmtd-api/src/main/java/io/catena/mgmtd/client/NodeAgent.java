package io.catena.mgmtd.client;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Status;
import io.catena.common.cluster.NodeType;
import io.catena.common.config.Config;
import io.catena.common.net.Address;
import io.catena.mgmtd.ConfigApplier;
import io.catena.mgmtd.HeartbeatReply;
import io.catena.mgmtd.HeartbeatRequest;
import io.catena.mgmtd.NodeCommand;
import io.catena.mgmtd.RegisterRequest;
import io.catena.mgmtd.TargetReport;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service's membership in the cluster: registers with mgmtd (retrying until it answers), then heartbeats every
 * {@code mgmtd.client.heartbeat_interval} (hot-updatable: read from the applier's live config each time) with the
 * node's target reports; applies newer config versions through the {@link ConfigApplier} and reports the outcome
 * in the next heartbeat; hands node commands (e.g. STOP_SERVING_TARGET) to the node; and passes the routing version
 * of every reply to the client, so a {@link RoutingCache} on the same client refetches at once.
 *
 * <p>An unknown-node (ENOENT) or stale (ESTALE) answer means mgmtd forgot or replaced this registration (a new
 * primary, an operator, a duplicate): the agent registers again with the same incarnation, which mgmtd treats as
 * the same process, and carries on.
 *
 * <p>Thread-safe: all mgmtd traffic runs on one daemon thread; {@code targetReports} and {@code commands} are
 * called there and must not block for long. {@link #lastAcknowledgedMillis()} (by the injected clock) lets the
 * node fence itself when mgmtd has been unreachable for too long.
 */
public final class NodeAgent implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeAgent.class);

  private final MgmtdClient client;
  private final NodeType type;
  private final long nodeId;
  private final Address address;
  private final long incarnation;
  private final Supplier<List<TargetReport>> targetReports;
  private final Consumer<NodeCommand> commands;
  private final ConfigApplier configApplier;
  private final Config config;
  private final Clock clock;
  private final ScheduledExecutorService executor;
  private final AtomicLong heartbeats = new AtomicLong();
  private volatile long lastAck = -1;
  private volatile boolean registered;
  private volatile boolean closed;
  private boolean started;
  private long heartbeatVersion;
  private long retryDelayMs;

  public NodeAgent(MgmtdClient client, NodeType type, long nodeId, Address address, long incarnation,
      Supplier<List<TargetReport>> targetReports, Consumer<NodeCommand> commands, ConfigApplier configApplier,
      Config config, Clock clock) {
    this.client = Objects.requireNonNull(client, "client");
    this.type = Objects.requireNonNull(type, "type");
    this.nodeId = nodeId;
    this.address = Objects.requireNonNull(address, "address");
    this.incarnation = incarnation;
    this.targetReports = Objects.requireNonNull(targetReports, "targetReports");
    this.commands = Objects.requireNonNull(commands, "commands");
    this.configApplier = Objects.requireNonNull(configApplier, "configApplier");
    this.config = Objects.requireNonNull(config, "config");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "mgmtd-agent-" + nodeId);
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts registering and heartbeating in the background; returns at once. */
  public synchronized void start() {
    if (closed || started) {
      throw new IllegalStateException("node agent " + nodeId + " is " + (closed ? "closed" : "already started"));
    }
    started = true;
    schedule(0);
  }

  /** Stops heartbeating (mgmtd then declares the node failed after its timeout). Does not close the client. */
  @Override
  public synchronized void close() {
    closed = true;
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public long nodeId() {
    return nodeId;
  }

  public long incarnation() {
    return incarnation;
  }

  /** Whether mgmtd accepted the registration (and has not asked for a new one since). */
  public boolean isRegistered() {
    return registered;
  }

  /** Heartbeats mgmtd has accepted from this agent. */
  public long heartbeatsAcknowledged() {
    return heartbeats.get();
  }

  /** When mgmtd last accepted a registration or heartbeat, by the injected clock; empty if never. */
  public OptionalLong lastAcknowledgedMillis() {
    long t = lastAck;
    return t < 0 ? OptionalLong.empty() : OptionalLong.of(t);
  }

  private void schedule(long delayMs) {
    try {
      executor.schedule(this::step, delayMs, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // closed meanwhile
    }
  }

  private Duration heartbeatInterval() {
    Config live = configApplier.current();
    Config c = live.schema().contains(MgmtdClientConfig.HEARTBEAT_INTERVAL) ? live : config;
    return c.get(MgmtdClientConfig.HEARTBEAT_INTERVAL);
  }

  /** One register or heartbeat attempt; reschedules itself. */
  private void step() {
    if (closed) {
      return;
    }
    long interval = heartbeatInterval().toMillis();
    try {
      if (!registered) {
        client.service().registerNode(new RegisterRequest(client.clusterId(), nodeId, type, address.toString(),
            incarnation));
        registered = true;
        lastAck = clock.millis();
        retryDelayMs = 0;
        log.info("{} node {} registered with mgmtd (incarnation {})", type, nodeId, incarnation);
        schedule(0);
        return;
      }
      beat();
      retryDelayMs = 0;
      schedule(interval);
    } catch (CatenaException e) {
      Status s = e.status();
      // Only a heartbeat's ENOENT/ESTALE asks for a new registration; a refused registration (e.g. ESTALE: a newer
      // incarnation of this node is registered, so this process is a zombie) backs off like any other failure.
      if (registered && (s.code() == Errno.ENOENT || s.code() == Errno.ESTALE)) {
        log.info("node {}: mgmtd wants a new registration: {}", nodeId, s);
        registered = false;
        schedule(0);
        return;
      }
      if (closed) {
        return;
      }
      // The client already retried within its timeout; back off up to one interval before the next round.
      retryDelayMs = Math.min(Math.max(interval, 10), Math.max(10, retryDelayMs * 2));
      log.warn("node {}: {} failed: {}", nodeId, registered ? "heartbeat" : "registration", s);
      schedule(retryDelayMs);
    } catch (RuntimeException e) {
      log.warn("node {}: heartbeat round failed", nodeId, e);
      schedule(interval);
    }
  }

  private void beat() {
    List<TargetReport> reports = targetReports.get();
    HeartbeatReply reply = client.service().heartbeat(new HeartbeatRequest(client.clusterId(), nodeId, incarnation,
        ++heartbeatVersion, configApplier.appliedVersion(), configApplier.status(), reports));
    lastAck = clock.millis();
    heartbeats.incrementAndGet();
    client.noteRoutingVersion(reply.routingVersion());
    reply.newerConfig().ifPresent(configApplier::offer);
    for (NodeCommand c : reply.commands()) {
      try {
        commands.accept(c);
      } catch (RuntimeException e) {
        log.warn("node {}: command {} failed: {}", nodeId, c, e.toString());
      }
    }
  }
}
