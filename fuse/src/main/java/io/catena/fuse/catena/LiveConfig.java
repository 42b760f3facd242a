package io.catena.fuse.catena;

import io.catena.common.Errno;
import io.catena.common.CatenaException;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigException;
import io.catena.common.config.Key;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mount's effective configuration, changed live through the control directory's {@code set-conf}. Only keys the
 * mount re-reads on every operation can change: hot-updatable keys of its own modules ({@code fuse.*},
 * {@code client.*}). The mount's config also carries meta, storage and rpc keys (hot in their own processes, read
 * once here), which set-conf refuses rather than pretend to apply. Thread-safe: updates are serialised, readers take
 * a volatile snapshot.
 */
final class LiveConfig {
  private static final Logger LOG = LoggerFactory.getLogger(LiveConfig.class);

  private volatile Config config;
  private volatile long changedAtNanos = System.currentTimeMillis() * 1_000_000L;

  LiveConfig(Config initial) {
    this.config = Objects.requireNonNull(initial, "initial");
  }

  Config get() {
    return config;
  }

  <T> T get(Key<T> key) {
    return config.get(key);
  }

  /** When the configuration last changed (ns since the epoch): get-conf's mtime. */
  long changedAtNanos() {
    return changedAtNanos;
  }

  /** True when set-conf may change {@code key} on a running mount. */
  static boolean liveOnMount(Key<?> key) {
    return key.isHotUpdatable() && (key.name().startsWith("fuse.") || key.name().startsWith("client."));
  }

  /**
   * Applies the {@code key = value} lines of {@code text} (TOML: bare or quoted values, {@code [table]} headers,
   * {@code #} comments) all together or not at all. Throws EINVAL naming the first unknown, non-live or invalid key.
   * Returns the keys changed.
   */
  synchronized Map<String, String> apply(String text, String source) {
    Map<String, String> updates = parse(text);
    if (updates.isEmpty()) {
      return updates;
    }
    Config cur = config;
    for (String name : updates.keySet()) {
      Key<?> k = cur.schema().key(name).orElseThrow(
          () -> CatenaException.of(Errno.EINVAL, "%s: unknown key '%s'", source, name));
      if (!liveOnMount(k)) {
        throw CatenaException.of(Errno.EINVAL, "%s: key %s cannot change while the mount runs (set it in the "
            + "mount's config and remount)", source, name);
      }
    }
    try {
      config = cur.withUpdates(updates, source, true);
    } catch (ConfigException e) {
      throw CatenaException.of(Errno.EINVAL, "%s", e.getMessage());
    }
    changedAtNanos = System.currentTimeMillis() * 1_000_000L;
    LOG.info("{} applied {}", source, updates);
    return updates;
  }

  /** The configuration as TOML: {@code key = value  # source}, secrets redacted. */
  String render() {
    StringBuilder out = new StringBuilder("# effective configuration of this mount; keys set-conf may change: ");
    StringBuilder live = new StringBuilder();
    for (Key<?> k : config.schema().keys()) {
      if (liveOnMount(k)) {
        live.append(live.isEmpty() ? "" : ", ").append(k.name());
      }
    }
    out.append(live).append('\n');
    for (String line : config.describe().split("\n")) {
      // describe(): "name = literal  (source)"; the source becomes a TOML comment so the text parses as TOML.
      int src = line.lastIndexOf("  (");
      if (src > 0 && line.endsWith(")")) {
        out.append(line, 0, src).append("  # ").append(line, src + 3, line.length() - 1).append('\n');
      } else if (!line.isBlank()) {
        out.append(line).append('\n');
      }
    }
    return out.toString();
  }

  static Map<String, String> parse(String text) {
    Map<String, String> out = new LinkedHashMap<>();
    String table = "";
    String[] lines = text.split("\r?\n", -1);
    for (int n = 0; n < lines.length; n++) {
      String line = lines[n].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      if (line.startsWith("[") && line.endsWith("]")) {
        String t = line.substring(1, line.length() - 1).strip();
        table = t.isEmpty() ? "" : t + ".";
        continue;
      }
      int eq = line.indexOf('=');
      if (eq <= 0) {
        throw CatenaException.of(Errno.EINVAL, "set-conf line %d: expected key = value, got '%s'", n + 1, line);
      }
      String key = table + line.substring(0, eq).strip();
      String value = line.substring(eq + 1).strip();
      if (value.length() >= 2 && (value.charAt(0) == '"' || value.charAt(0) == '\'')) {
        int close = value.indexOf(value.charAt(0), 1);
        if (close < 0) {
          throw CatenaException.of(Errno.EINVAL, "set-conf line %d: unterminated string", n + 1);
        }
        value = value.substring(1, close);
      } else {
        int hash = value.indexOf('#');
        if (hash >= 0) {
          value = value.substring(0, hash).strip();
        }
      }
      if (value.isEmpty()) {
        throw CatenaException.of(Errno.EINVAL, "set-conf line %d: no value for %s", n + 1, key);
      }
      out.put(key, value);
    }
    return out;
  }
}
