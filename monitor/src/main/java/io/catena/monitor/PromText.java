package io.catena.monitor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Parses the Prometheus text exposition format (0.0.4), as every Catena process serves it at /metrics and pushes it
 * to the monitor: {@code name{label="value",...} value [timestamp]} lines, comments skipped. A malformed line is
 * skipped, not fatal: one bad series must not lose a process's whole push. Stateless.
 */
public final class PromText {
  private PromText() {}

  public static List<Sample> parse(String text) {
    List<Sample> out = new ArrayList<>();
    int pos = 0;
    int n = text.length();
    while (pos < n) {
      int eol = text.indexOf('\n', pos);
      if (eol < 0) {
        eol = n;
      }
      if (eol > pos && text.charAt(pos) != '#') {
        Sample s = line(text, pos, eol);
        if (s != null) {
          out.add(s);
        }
      }
      pos = eol + 1;
    }
    return out;
  }

  private static Sample line(String t, int from, int to) {
    int i = from;
    while (i < to && isNameChar(t.charAt(i))) {
      i++;
    }
    if (i == from) {
      return null;
    }
    String name = t.substring(from, i);
    Map<String, String> labels = new TreeMap<>();
    if (i < to && t.charAt(i) == '{') {
      i++;
      while (true) {
        while (i < to && (t.charAt(i) == ',' || t.charAt(i) == ' ')) {
          i++;
        }
        if (i >= to) {
          return null;
        }
        if (t.charAt(i) == '}') {
          i++;
          break;
        }
        int k = i;
        while (i < to && isNameChar(t.charAt(i))) {
          i++;
        }
        if (i == k || i + 1 >= to || t.charAt(i) != '=' || t.charAt(i + 1) != '"') {
          return null;
        }
        String key = t.substring(k, i);
        i += 2;
        StringBuilder v = new StringBuilder();
        while (i < to && t.charAt(i) != '"') {
          char c = t.charAt(i);
          if (c == '\\' && i + 1 < to) {
            char e = t.charAt(++i);
            v.append(e == 'n' ? '\n' : e);
          } else {
            v.append(c);
          }
          i++;
        }
        if (i >= to) {
          return null;
        }
        i++; // closing quote
        labels.put(key, v.toString());
      }
    }
    while (i < to && t.charAt(i) == ' ') {
      i++;
    }
    int v = i;
    while (i < to && t.charAt(i) != ' ') {
      i++;
    }
    try {
      return new Sample(name, labels, value(t.substring(v, i)));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static double value(String s) {
    return switch (s) {
      case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      case "NaN" -> Double.NaN;
      default -> Double.parseDouble(s);
    };
  }

  private static boolean isNameChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == ':';
  }
}
