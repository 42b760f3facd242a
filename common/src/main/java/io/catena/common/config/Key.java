package io.catena.common.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * One configuration key: its dotted name, type, default, validation rules, description and whether it may change
 * while a process runs. Keys are defined once, as constants beside the module that reads them, e.g.
 * {@code Key.duration("storage.heartbeat_interval").defaultValue("10s").min("100ms").hotUpdatable()}. Immutable:
 * every builder-style method returns a new key.
 *
 * <p>Environment rule: a key is overridden by the variable {@code CATENA_} + its name upper-cased with dots
 * replaced by underscores, e.g. {@code storage.heartbeat_interval} is {@code CATENA_STORAGE_HEARTBEAT_INTERVAL}.
 *
 * @param <T> the Java type of the value
 */
public final class Key<T> {
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+");

  /** A validation rule with the words that tell people what is allowed. */
  public record Rule<T>(Predicate<T> test, String allowed) {}

  private final String name;
  private final ValueType<T> type;
  private final T defaultValue;
  private final List<Rule<T>> rules;
  private final String description;
  private final boolean hotUpdatable;
  private final boolean secret;

  private Key(String name, ValueType<T> type, T defaultValue, List<Rule<T>> rules, String description,
      boolean hotUpdatable, boolean secret) {
    this.name = name;
    this.type = type;
    this.defaultValue = defaultValue;
    this.rules = List.copyOf(rules);
    this.description = description;
    this.hotUpdatable = hotUpdatable;
    this.secret = secret;
  }

  public static <T> Key<T> of(String name, ValueType<T> type) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("bad key name '" + name + "': use section.name in lower_snake_case");
    }
    return new Key<>(name, type, null, List.of(), "", false, false);
  }

  public static Key<Duration> duration(String name) {
    return of(name, ValueType.DURATION);
  }

  public static Key<DataSize> dataSize(String name) {
    return of(name, ValueType.SIZE);
  }

  public static Key<Integer> integer(String name) {
    return of(name, ValueType.INT);
  }

  public static Key<Long> longInteger(String name) {
    return of(name, ValueType.LONG);
  }

  public static Key<Double> number(String name) {
    return of(name, ValueType.DOUBLE);
  }

  public static Key<Boolean> bool(String name) {
    return of(name, ValueType.BOOL);
  }

  public static Key<String> string(String name) {
    return of(name, ValueType.STRING);
  }

  /** A {@code tcp://host:port} address (checked with {@link io.catena.common.net.Address#parse}). */
  public static Key<String> address(String name) {
    return string(name).check(Key::isAddress, "an address like tcp://127.0.0.1:8000");
  }

  /** A non-empty comma-separated list of {@code tcp://host:port} addresses. */
  public static Key<List<String>> addressList(String name) {
    return stringList(name).check(l -> !l.isEmpty() && l.stream().allMatch(Key::isAddress),
        "a comma-separated list of tcp://host:port addresses");
  }

  private static boolean isAddress(String s) {
    try {
      io.catena.common.net.Address.parse(s);
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  public static Key<List<String>> stringList(String name) {
    return of(name, ValueType.STRING_LIST);
  }

  public static <E extends Enum<E>> Key<E> enumeration(String name, Class<E> type) {
    return of(name, ValueType.ofEnum(type));
  }

  /** The default, written as in a config file (it is parsed and validated like one). */
  public Key<T> defaultValue(String text) {
    T v = type.parse(text);
    return new Key<>(name, type, v, rules, description, hotUpdatable, secret);
  }

  public Key<T> defaultTo(T value) {
    return new Key<>(name, type, Objects.requireNonNull(value), rules, description, hotUpdatable, secret);
  }

  public Key<T> doc(String text) {
    return new Key<>(name, type, defaultValue, rules, text, hotUpdatable, secret);
  }

  public Key<T> hotUpdatable() {
    return new Key<>(name, type, defaultValue, rules, description, true, secret);
  }

  /** A credential: descriptions of the effective configuration (logs, get-conf) show it redacted. */
  public Key<T> secret() {
    return new Key<>(name, type, defaultValue, rules, description, hotUpdatable, true);
  }

  public Key<T> check(Predicate<T> test, String allowed) {
    List<Rule<T>> r = new ArrayList<>(rules);
    r.add(new Rule<>(test, allowed));
    return new Key<>(name, type, defaultValue, r, description, hotUpdatable, secret);
  }

  /** At least {@code text}, parsed as this key's type. Works for any comparable value (sizes, durations, numbers). */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public Key<T> min(String text) {
    T bound = type.parse(text);
    return check(v -> ((Comparable) v).compareTo(bound) >= 0, ">= " + text);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  public Key<T> max(String text) {
    T bound = type.parse(text);
    return check(v -> ((Comparable) v).compareTo(bound) <= 0, "<= " + text);
  }

  public Key<T> range(String min, String max) {
    return min(min).max(max);
  }

  /** For sizes: a power of two. */
  public Key<T> powerOfTwo() {
    return check(v -> v instanceof DataSize ds ? ds.isPowerOfTwo() : v instanceof Number n
        && n.longValue() > 0 && Long.bitCount(n.longValue()) == 1, "a power of two");
  }

  public String name() {
    return name;
  }

  public ValueType<T> type() {
    return type;
  }

  public T defaultValue() {
    if (defaultValue == null) {
      throw new IllegalStateException("key " + name + " has no default");
    }
    return defaultValue;
  }

  public boolean hasDefault() {
    return defaultValue != null;
  }

  public String description() {
    return description;
  }

  public boolean isHotUpdatable() {
    return hotUpdatable;
  }

  public boolean isSecret() {
    return secret;
  }

  public List<Rule<T>> rules() {
    return rules;
  }

  /** What is allowed, in words: the type and every rule. */
  public String allowed() {
    StringBuilder sb = new StringBuilder(type.name());
    for (Rule<T> r : rules) {
      sb.append(", ").append(r.allowed());
    }
    return sb.toString();
  }

  /** The environment variable that overrides this key. */
  public String envName() {
    return "CATENA_" + name.replace('.', '_').toUpperCase(Locale.ROOT);
  }

  /** Parses and validates a value; the exception message says what is allowed. */
  public T parseAndValidate(String text) {
    T v = type.parse(text);
    for (Rule<T> r : rules) {
      if (!r.test().test(v)) {
        throw new IllegalArgumentException("'" + text + "' is not allowed (must be " + r.allowed() + ")");
      }
    }
    return v;
  }

  public String print(T value) {
    return type.print(value);
  }

  @Override
  public String toString() {
    return name;
  }
}
