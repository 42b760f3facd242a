package io.catena.web;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** Building blocks of the dashboard's HTML: escaping, units, state badges. Stateless. */
final class Html {
  private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter DATE_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
      .withZone(ZoneOffset.UTC);

  private Html() {}

  static String esc(Object o) {
    String s = String.valueOf(o);
    StringBuilder sb = new StringBuilder(s.length() + 8);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '&' -> sb.append("&amp;");
        case '"' -> sb.append("&quot;");
        case '\'' -> sb.append("&#39;");
        default -> sb.append(c);
      }
    }
    return sb.toString();
  }

  /** 1536 -> "1.5 KiB". */
  static String bytes(double b) {
    if (Double.isNaN(b)) {
      return "–";
    }
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int u = 0;
    double v = b;
    while (Math.abs(v) >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return u == 0 ? String.format(Locale.ROOT, "%.0f B", v) : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }

  static String rate(double perSecond, String unit) {
    if (Double.isNaN(perSecond)) {
      return "–";
    }
    if (unit.equals("B/s")) {
      return bytes(perSecond) + "/s";
    }
    return number(perSecond) + " " + unit;
  }

  static String number(double v) {
    if (Double.isNaN(v)) {
      return "–";
    }
    double a = Math.abs(v);
    if (a >= 1e6) {
      return String.format(Locale.ROOT, "%.2fM", v / 1e6);
    }
    if (a >= 1e4) {
      return String.format(Locale.ROOT, "%.1fk", v / 1e3);
    }
    return a >= 100 || v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v)
        : String.format(Locale.ROOT, "%.2f", v);
  }

  static String millis(double ms) {
    if (Double.isNaN(ms)) {
      return "–";
    }
    return ms >= 100 ? String.format(Locale.ROOT, "%.0f ms", ms) : ms >= 1 ? String.format(Locale.ROOT, "%.1f ms", ms)
        : String.format(Locale.ROOT, "%.0f µs", ms * 1000);
  }

  static String percent(double fraction) {
    return Double.isNaN(fraction) ? "–" : String.format(Locale.ROOT, "%.1f%%", fraction * 100);
  }

  /** "3 s ago", "5 min ago" for an age in milliseconds. */
  static String age(long millis) {
    if (millis < 0) {
      return "–";
    }
    long s = millis / 1000;
    return s < 120 ? s + " s ago" : s < 7200 ? s / 60 + " min ago" : s / 3600 + " h ago";
  }

  static String clock(long epochMillis) {
    return CLOCK.format(Instant.ofEpochMilli(epochMillis));
  }

  static String dateTime(long epochMillis) {
    return epochMillis <= 0 ? "–" : DATE_TIME.format(Instant.ofEpochMilli(epochMillis)) + " UTC";
  }

  /** A colored badge for a state; {@code css} picks the color (ok, warn, bad, info, muted). */
  static String badge(String text, String css) {
    return "<span class=\"badge " + css + "\">" + esc(text) + "</span>";
  }

  static String lower(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT);
  }

  /** A horizontal bar filled to {@code fraction}, for capacity and progress. */
  static String bar(double fraction, String css) {
    double f = Double.isNaN(fraction) ? 0 : Math.max(0, Math.min(1, fraction));
    return String.format(Locale.ROOT, "<div class=\"bar\"><div class=\"fill %s\" style=\"width:%.1f%%\"></div></div>",
        css, f * 100);
  }
}
