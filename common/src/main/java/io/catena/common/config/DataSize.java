package io.catena.common.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An amount of bytes, written with a unit: {@code 512}, {@code 64KiB}, {@code 1MiB}, {@code 10GB}. Binary units
 * (KiB, MiB, GiB, TiB) are powers of 1024, decimal ones (KB, MB, GB, TB) powers of 1000. Immutable.
 */
public record DataSize(long bytes) implements Comparable<DataSize> {
  private static final Pattern FORMAT = Pattern.compile("\\s*(\\d+)\\s*([a-zA-Z]*)\\s*");
  private static final String[] BINARY = {"B", "KiB", "MiB", "GiB", "TiB"};

  public DataSize {
    if (bytes < 0) {
      throw new IllegalArgumentException("a size cannot be negative: " + bytes);
    }
  }

  public static DataSize ofBytes(long b) {
    return new DataSize(b);
  }

  public static DataSize ofKiB(long k) {
    return new DataSize(Math.multiplyExact(k, 1024L));
  }

  public static DataSize ofMiB(long m) {
    return new DataSize(Math.multiplyExact(m, 1024L * 1024));
  }

  public static DataSize ofGiB(long g) {
    return new DataSize(Math.multiplyExact(g, 1024L * 1024 * 1024));
  }

  /** Parses a size; throws IllegalArgumentException with the accepted forms on bad input. */
  public static DataSize parse(String text) {
    Matcher m = FORMAT.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a size: '" + text + "' (expected e.g. 512, 64KiB, 1MiB, 10GB)");
    }
    long n;
    try {
      n = Long.parseLong(m.group(1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("size out of range: '" + text + "'");
    }
    long mult = switch (m.group(2).toLowerCase(Locale.ROOT)) {
      case "", "b" -> 1L;
      case "k", "kib" -> 1L << 10;
      case "m", "mib" -> 1L << 20;
      case "g", "gib" -> 1L << 30;
      case "t", "tib" -> 1L << 40;
      case "kb" -> 1_000L;
      case "mb" -> 1_000_000L;
      case "gb" -> 1_000_000_000L;
      case "tb" -> 1_000_000_000_000L;
      default -> throw new IllegalArgumentException(
          "unknown size unit '" + m.group(2) + "' in '" + text + "' (use B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)");
    };
    try {
      return new DataSize(Math.multiplyExact(n, mult));
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("size out of range: '" + text + "'");
    }
  }

  public boolean isPowerOfTwo() {
    return bytes > 0 && (bytes & (bytes - 1)) == 0;
  }

  public int toIntBytes() {
    return Math.toIntExact(bytes);
  }

  @Override
  public int compareTo(DataSize o) {
    return Long.compare(bytes, o.bytes);
  }

  /** The largest binary unit that represents the size exactly, e.g. {@code 1MiB}, {@code 1536KiB}. */
  @Override
  public String toString() {
    long v = bytes;
    int unit = 0;
    while (unit < BINARY.length - 1 && v != 0 && v % 1024 == 0) {
      v /= 1024;
      unit++;
    }
    return v + BINARY[unit];
  }
}
