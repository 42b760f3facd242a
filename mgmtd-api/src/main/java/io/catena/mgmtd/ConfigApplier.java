package io.catena.mgmtd;

import io.catena.common.config.Config;
import io.catena.common.config.ConfigException;
import io.catena.common.config.ConfigLoader;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's live configuration and what it does with a config version from a heartbeat reply: apply the keys it
 * sets, all of which must be hot-updatable, or nothing. The outcome is reported back in the next heartbeat
 * ({@code configStatus}), so an operator sees which nodes refused a version and why. Components read hot keys
 * through {@link #current()} (or {@link #subscribe}) instead of holding the start-up {@link Config}.
 *
 * <p>Thread-safe: {@link #offer} is serialised; {@link #current()} is a volatile read.
 */
public final class ConfigApplier {
  private static final Logger log = LoggerFactory.getLogger(ConfigApplier.class);

  /** The outcome of applying one version: the new config, or the old one and the reason it was refused. */
  public record Outcome(Config config, long appliedVersion, String status) {
    public boolean applied() {
      return status.isEmpty();
    }
  }

  private final CopyOnWriteArrayList<Consumer<Config>> listeners = new CopyOnWriteArrayList<>();
  private volatile Config current;
  private volatile long appliedVersion;
  private volatile String status = "";
  private long lastRefused;

  /** Starts from the process's start-up config, at version 0 (nothing from mgmtd applied yet). */
  public ConfigApplier(Config initial) {
    this.current = Objects.requireNonNull(initial, "initial");
  }

  /** Applies {@code v} on top of {@code current}; {@code currentVersion} stays reported when it is refused. */
  public static Outcome apply(Config current, long currentVersion, VersionedConfig v) {
    String source = "mgmtd config v" + v.version() + " for " + v.type();
    try {
      Config next = current.withUpdates(ConfigLoader.tomlToStrings(current.schema(), v.toml(), source), source, true);
      return new Outcome(next, v.version(), "");
    } catch (ConfigException e) {
      return new Outcome(current, currentVersion, e.getMessage());
    }
  }

  /**
   * Applies a version pushed by mgmtd unless it is not newer than the applied one or was refused already (mgmtd
   * offers the newest version in every heartbeat until the node reports it). Subscribers hear of an applied config
   * on this thread.
   */
  public Outcome offer(VersionedConfig v) {
    Config next;
    synchronized (this) {
      if (v.version() <= appliedVersion || v.version() == lastRefused) {
        return new Outcome(current, appliedVersion, status);
      }
      Outcome o = apply(current, appliedVersion, v);
      if (!o.applied()) {
        lastRefused = v.version();
        status = "v" + v.version() + " refused: " + o.status();
        log.warn("config v{} for {} refused: {}", v.version(), v.type(), o.status());
        return new Outcome(current, appliedVersion, status);
      }
      current = o.config();
      appliedVersion = o.appliedVersion();
      status = "";
      next = current;
      log.info("applied config v{} for {}", v.version(), v.type());
    }
    for (Consumer<Config> l : listeners) {
      try {
        l.accept(next);
      } catch (RuntimeException e) {
        log.warn("config listener failed: {}", e.toString());
      }
    }
    return new Outcome(next, appliedVersion, "");
  }

  /** The effective config: the start-up one plus every applied version. */
  public Config current() {
    return current;
  }

  /** The config version last applied (0: none). */
  public long appliedVersion() {
    return appliedVersion;
  }

  /** "" when the last offered version was applied, else why it was refused. */
  public String status() {
    return status;
  }

  /** Calls {@code listener} with each newly applied config; returns a handle that unsubscribes. */
  public AutoCloseable subscribe(Consumer<Config> listener) {
    listeners.add(Objects.requireNonNull(listener));
    return () -> listeners.remove(listener);
  }
}
