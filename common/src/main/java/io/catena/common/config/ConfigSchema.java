package io.catena.common.config;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The keys one process understands, gathered from the key-holder classes of the modules it runs (each module keeps
 * its keys as {@code public static final Key} constants). Names and environment variables are checked to be
 * unique. Immutable.
 */
public final class ConfigSchema {
  private final Map<String, Key<?>> keys;

  private ConfigSchema(Map<String, Key<?>> keys) {
    this.keys = keys;
  }

  public static ConfigSchema of(Collection<Key<?>> keys) {
    Map<String, Key<?>> byName = new LinkedHashMap<>();
    Map<String, String> envToName = new HashMap<>();
    for (Key<?> k : keys) {
      Key<?> prev = byName.putIfAbsent(k.name(), k);
      if (prev != null && prev != k) {
        throw new IllegalArgumentException("configuration key " + k.name() + " is defined twice");
      }
      String other = envToName.putIfAbsent(k.envName(), k.name());
      if (other != null && !other.equals(k.name())) {
        throw new IllegalArgumentException(
            "keys " + other + " and " + k.name() + " share the environment variable " + k.envName());
      }
      if (!k.hasDefault()) {
        throw new IllegalArgumentException("configuration key " + k.name() + " needs a default");
      }
    }
    return new ConfigSchema(byName);
  }

  /** Collects the public static Key constants of the given holder classes, in declaration order. */
  public static ConfigSchema fromHolders(Class<?>... holders) {
    List<Key<?>> found = new ArrayList<>();
    for (Class<?> h : holders) {
      for (Field f : h.getDeclaredFields()) {
        int m = f.getModifiers();
        if (Modifier.isStatic(m) && Modifier.isPublic(m) && Key.class.isAssignableFrom(f.getType())) {
          try {
            found.add((Key<?>) f.get(null));
          } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
          }
        }
      }
    }
    return of(found);
  }

  public ConfigSchema plus(ConfigSchema other) {
    List<Key<?>> all = new ArrayList<>(keys.values());
    all.addAll(other.keys.values());
    return of(all);
  }

  public Optional<Key<?>> key(String name) {
    return Optional.ofNullable(keys.get(name));
  }

  public Collection<Key<?>> keys() {
    return keys.values();
  }

  public boolean contains(Key<?> key) {
    return keys.get(key.name()) == key;
  }

  /** The defaults as a commented TOML document: what {@code catena config defaults ROLE} prints. */
  public String defaultsAsToml() {
    // Group by table in order of first appearance: TOML forbids re-opening a table, and holders may interleave.
    Map<String, List<Key<?>>> bySection = new LinkedHashMap<>();
    for (Key<?> k : keys.values()) {
      bySection.computeIfAbsent(k.name().substring(0, k.name().lastIndexOf('.')), s -> new ArrayList<>()).add(k);
    }
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, List<Key<?>>> section : bySection.entrySet()) {
      if (!sb.isEmpty()) {
        sb.append('\n');
      }
      sb.append('[').append(section.getKey()).append("]\n");
      for (Key<?> k : section.getValue()) {
        if (!k.description().isEmpty()) {
          sb.append("# ").append(k.description()).append('\n');
        }
        sb.append("# ").append(k.allowed()).append("; env ").append(k.envName())
            .append(k.isHotUpdatable() ? "; hot-updatable" : "").append('\n');
        sb.append(k.name().substring(section.getKey().length() + 1)).append(" = ")
            .append(tomlLiteral(k, k.defaultValue())).append('\n');
      }
    }
    return sb.toString();
  }

  @SuppressWarnings("unchecked")
  static <T> String tomlLiteral(Key<T> k, Object value) {
    String text = k.print((T) value);
    ValueType<?> t = k.type();
    if (t == ValueType.LONG || t == ValueType.INT || t == ValueType.DOUBLE || t == ValueType.BOOL) {
      return text;
    }
    if (t == ValueType.STRING_LIST) {
      List<String> items = (List<String>) value;
      StringBuilder sb = new StringBuilder("[");
      for (int i = 0; i < items.size(); i++) {
        sb.append(i == 0 ? "" : ", ").append(quote(items.get(i)));
      }
      return sb.append(']').toString();
    }
    return quote(text);
  }

  private static String quote(String s) {
    return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }
}
