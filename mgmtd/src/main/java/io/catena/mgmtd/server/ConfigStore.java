package io.catena.mgmtd.server;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.NodeType;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigException;
import io.catena.common.config.ConfigLoader;
import io.catena.common.config.ConfigSchema;
import io.catena.mgmtd.ConfigApplier;
import io.catena.mgmtd.VersionedConfig;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tomlj.Toml;
import org.tomlj.TomlParseResult;

/**
 * Config distribution: the versioned config text of each node type, checked before it is stored, and this
 * instance's own config, to which the hot keys of mgmtd's versions apply like any node's.
 *
 * <p>Not thread-safe: guarded by {@link MgmtdServer}'s lock.
 */
final class ConfigStore {
  private static final Logger log = LoggerFactory.getLogger(ConfigStore.class);

  private final ClusterStore store;
  private final PrimaryLease lease;
  private final Map<NodeType, ConfigSchema> schemas;
  private final long nodeId;
  private Config config;
  private long ownConfigSeen;
  private long ownConfigApplied;

  /**
   * @param schemas the config schema of each node type whose config texts should be checked key by key (the
   *     launcher knows every module's keys; mgmtd does not); other types get a TOML syntax check only
   */
  ConfigStore(ClusterStore store, PrimaryLease lease, Config initial, Map<NodeType, ConfigSchema> schemas,
      long nodeId) {
    this.store = store;
    this.lease = lease;
    this.config = initial;
    this.schemas = Map.copyOf(schemas);
    this.nodeId = nodeId;
  }

  /** This instance's config: the start-up one with the hot keys of the latest mgmtd version applied. */
  Config current() {
    return config;
  }

  /** The mgmtd config version this instance runs (0: its start-up config). */
  long appliedVersion() {
    return ownConfigApplied;
  }

  /** mgmtd is a node type too: its config versions apply to every instance, hot keys only, like any node's. */
  void applyOwn() {
    Optional<VersionedConfig> latest = lease.read(txn -> store.latestConfig(txn, NodeType.MGMTD));
    if (latest.isEmpty() || latest.get().version() <= ownConfigSeen) {
      return;
    }
    ownConfigSeen = latest.get().version();
    ConfigApplier.Outcome o = ConfigApplier.apply(config, ownConfigApplied, latest.get());
    if (o.applied()) {
      config = o.config();
      ownConfigApplied = o.appliedVersion();
      log.info("mgmtd {} applied config v{}", nodeId, ownConfigApplied);
    } else {
      log.warn("mgmtd {} refused config v{}: {}", nodeId, latest.get().version(), o.status());
    }
  }

  VersionedConfig set(NodeType type, String toml) {
    Objects.requireNonNull(type, "type");
    validate(type, Objects.requireNonNull(toml, "toml"));
    return lease.write(txn -> {
      Optional<VersionedConfig> latest = store.latestConfig(txn, type);
      if (latest.isPresent() && latest.get().toml().equals(toml)) {
        return latest.get();
      }
      VersionedConfig v = new VersionedConfig(type, latest.map(VersionedConfig::version).orElse(0L) + 1, toml);
      store.putConfig(txn, v);
      return v;
    });
  }

  private void validate(NodeType type, String toml) {
    ConfigSchema schema = type == NodeType.MGMTD ? schemas.getOrDefault(type, config.schema()) : schemas.get(type);
    String source = "config for " + type;
    try {
      if (schema != null) {
        ConfigLoader.parseToml(schema, toml, source);
      } else {
        TomlParseResult r = Toml.parse(toml);
        if (r.hasErrors()) {
          throw new ConfigException(source + ": not valid TOML: " + r.errors().getFirst());
        }
      }
    } catch (ConfigException e) {
      throw CatenaException.of(Errno.EINVAL, "%s", e.getMessage());
    }
  }

  /** Version {@code version} of {@code type}'s config; 0 asks for the latest. */
  Optional<VersionedConfig> get(NodeType type, long version) {
    if (version < 0) {
      throw CatenaException.of(Errno.EINVAL, "config version must not be negative: %d", version);
    }
    return lease.read(txn -> version == 0 ? store.latestConfig(txn, type) : store.config(txn, type, version));
  }

  /** The latest config of {@code type}, if newer than {@code version}: what a heartbeat reply carries. */
  Optional<VersionedConfig> newerThan(NodeType type, long version) {
    return lease.read(txn -> store.latestConfig(txn, type)).filter(v -> v.version() > version);
  }
}
