package io.catena.common.config;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * How a configuration value is written and read: its name for people, a parser and a printer. Immutable.
 *
 * @param <T> the Java type of the value
 */
public record ValueType<T>(String name, Function<String, T> parser, Function<T, String> printer) {

  public static final ValueType<Duration> DURATION = new ValueType<>("duration", Durations::parse, Durations::format);
  public static final ValueType<DataSize> SIZE = new ValueType<>("size", DataSize::parse, DataSize::toString);
  public static final ValueType<Long> LONG = new ValueType<>("integer", ValueType::parseLong, String::valueOf);
  public static final ValueType<Integer> INT =
      new ValueType<>("integer", s -> Math.toIntExact(parseLong(s)), String::valueOf);
  public static final ValueType<Double> DOUBLE = new ValueType<>("number", ValueType::parseDouble, String::valueOf);
  public static final ValueType<Boolean> BOOL = new ValueType<>("boolean", ValueType::parseBool, String::valueOf);
  public static final ValueType<String> STRING = new ValueType<>("string", s -> s, s -> s);
  public static final ValueType<List<String>> STRING_LIST = new ValueType<>("list of strings",
      s -> s.isBlank() ? List.of() : Arrays.stream(s.split(",")).map(String::trim).toList(),
      l -> String.join(",", l));

  public static <E extends Enum<E>> ValueType<E> ofEnum(Class<E> type) {
    E[] constants = type.getEnumConstants();
    return new ValueType<>("one of " + Arrays.stream(constants).map(ValueType::lower).toList(),
        s -> {
          for (E c : constants) {
            if (c.name().equalsIgnoreCase(s.trim())) {
              return c;
            }
          }
          throw new IllegalArgumentException("'" + s + "' is not one of "
              + Arrays.stream(constants).map(ValueType::lower).toList());
        },
        ValueType::lower);
  }

  public T parse(String text) {
    return parser.apply(text);
  }

  public String print(T value) {
    return printer.apply(value);
  }

  private static String lower(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT);
  }

  private static long parseLong(String s) {
    try {
      return Long.parseLong(s.trim().replace("_", ""));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not an integer: '" + s + "'");
    }
  }

  private static double parseDouble(String s) {
    try {
      return Double.parseDouble(s.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a number: '" + s + "'");
    }
  }

  private static boolean parseBool(String s) {
    return switch (s.trim().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "on", "1" -> true;
      case "false", "no", "off", "0" -> false;
      default -> throw new IllegalArgumentException("not a boolean: '" + s + "' (use true or false)");
    };
  }
}
