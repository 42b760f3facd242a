package io.catena.mgmtd;

import io.catena.common.config.Config;
import io.catena.common.config.ConfigException;
import io.catena.common.config.ConfigLoader;

/**
 * What a node does with a config version from a heartbeat reply: apply the keys it sets, all of which must be
 * hot-updatable, or nothing. The outcome is reported back in the next heartbeat ({@code configStatus}), so an
 * operator sees which nodes refused a version and why. Stateless; thread-safe.
 */
public final class ConfigApplier {
  private ConfigApplier() {}

  /** The outcome of applying one version: the new config, or the old one and the reason it was refused. */
  public record Outcome(Config config, long appliedVersion, String status) {
    public boolean applied() {
      return status.isEmpty();
    }
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
}
