package io.catena.common.config;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsing and printing of durations written with a unit: {@code 500us}, {@code 100ms}, {@code 10s}, {@code 5m}. */
public final class Durations {
  private static final Pattern FORMAT = Pattern.compile("\\s*(\\d+(?:\\.\\d+)?)\\s*([a-zA-Z]+)\\s*");

  private Durations() {}

  public static Duration parse(String text) {
    Matcher m = FORMAT.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "not a duration: '" + text + "' (expected a number and a unit: ns, us, ms, s, m, h, d; e.g. 10s)");
    }
    long nanosPerUnit = switch (m.group(2).toLowerCase(Locale.ROOT)) {
      case "ns" -> 1L;
      case "us" -> 1_000L;
      case "ms" -> 1_000_000L;
      case "s" -> 1_000_000_000L;
      case "m", "min" -> 60_000_000_000L;
      case "h" -> 3_600_000_000_000L;
      case "d" -> 86_400_000_000_000L;
      default -> throw new IllegalArgumentException(
          "unknown duration unit '" + m.group(2) + "' in '" + text + "' (use ns, us, ms, s, m, h, d)");
    };
    try {
      BigDecimal nanos = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(nanosPerUnit));
      return Duration.ofNanos(nanos.longValueExact());
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("duration out of range or finer than 1ns: '" + text + "'");
    }
  }

  /** The shortest exact form: {@code 10s}, {@code 150ms}, {@code 2h}. */
  public static String format(Duration d) {
    long n = d.toNanos();
    if (n == 0) {
      return "0s";
    }
    long[] units = {86_400_000_000_000L, 3_600_000_000_000L, 60_000_000_000L, 1_000_000_000L, 1_000_000L, 1_000L};
    String[] names = {"d", "h", "m", "s", "ms", "us"};
    for (int i = 0; i < units.length; i++) {
      if (n % units[i] == 0) {
        return (n / units[i]) + names[i];
      }
    }
    return n + "ns";
  }
}
