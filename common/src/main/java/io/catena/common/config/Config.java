package io.catena.common.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The effective configuration of a process: one validated value per key of its schema, and where each value came
 * from (default, a file, an environment variable, a command-line override, an update). Immutable; a hot update
 * makes a new instance ({@link #withUpdates}).
 */
public final class Config {
  /** A value and the place it came from, e.g. "default", "/etc/catena/storage.toml", "env CATENA_X". */
  public record Entry(Object value, String source) {}

  private final ConfigSchema schema;
  private final Map<String, Entry> values;

  Config(ConfigSchema schema, Map<String, Entry> values) {
    this.schema = schema;
    this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
  }

  /** Every key at its default. */
  public static Config defaults(ConfigSchema schema) {
    Map<String, Entry> v = new LinkedHashMap<>();
    for (Key<?> k : schema.keys()) {
      v.put(k.name(), new Entry(k.defaultValue(), "default"));
    }
    return new Config(schema, v);
  }

  @SuppressWarnings("unchecked")
  public <T> T get(Key<T> key) {
    Entry e = values.get(key.name());
    if (e == null || !schema.contains(key)) {
      throw new IllegalArgumentException("key " + key.name() + " is not part of this process's configuration");
    }
    return (T) e.value();
  }

  public String source(Key<?> key) {
    Entry e = values.get(key.name());
    return e == null ? "unknown" : e.source();
  }

  public ConfigSchema schema() {
    return schema;
  }

  /**
   * A copy with some keys changed, e.g. from a newer config version pushed by mgmtd. With {@code hotOnly}, keys
   * that are not hot-updatable are refused, so a running process never half-applies a change it cannot honour.
   *
   * @throws ConfigException naming the first key that is unknown, not hot-updatable, or invalid
   */
  public Config withUpdates(Map<String, String> updates, String source, boolean hotOnly) {
    Map<String, Entry> v = new LinkedHashMap<>(values);
    for (Map.Entry<String, String> u : updates.entrySet()) {
      Key<?> k = schema.key(u.getKey()).orElseThrow(() -> ConfigException.unknownKey(source, u.getKey(), schema));
      if (hotOnly && !k.isHotUpdatable()) {
        throw new ConfigException(source + ": key " + k.name() + " cannot change while the process runs (restart it)");
      }
      v.put(k.name(), new Entry(ConfigLoader.parse(k, u.getValue(), source), source));
    }
    return new Config(schema, v);
  }

  /** One line per key, {@code name = value  (source)}: what every process logs at start. */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    for (Key<?> k : schema.keys()) {
      Entry e = values.get(k.name());
      String literal = ConfigSchema.tomlLiteral(k, e.value());
      String shown = k.isSecret() && !literal.equals("\"\"") ? "\"<redacted>\"" : literal;
      sb.append(k.name()).append(" = ").append(shown)
          .append("  (").append(e.source()).append(")\n");
    }
    return sb.toString();
  }
}
