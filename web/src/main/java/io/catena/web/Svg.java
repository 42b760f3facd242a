package io.catena.web;

import io.catena.monitor.ChartSeries;
import io.catena.monitor.History;
import java.util.List;
import java.util.Locale;

/** Line charts of the monitor's history as inline SVG: no script library, readable with scripts off. Stateless. */
final class Svg {
  private static final int W = 560;
  private static final int H = 170;
  private static final int LEFT = 70;
  private static final int BOTTOM = 22;
  private static final int TOP = 10;

  private Svg() {}

  static String chart(ChartSeries s, List<History.Point> points) {
    double max = 0;
    double last = Double.NaN;
    for (History.Point p : points) {
      if (!Double.isNaN(p.value())) {
        max = Math.max(max, p.value());
        last = p.value();
      }
    }
    double top = niceCeiling(max);
    int n = points.size();
    double plotW = W - LEFT - 10;
    double plotH = H - TOP - BOTTOM;
    StringBuilder path = new StringBuilder();
    boolean pen = false;
    for (int i = 0; i < n; i++) {
      double v = points.get(i).value();
      if (Double.isNaN(v)) {
        pen = false;
        continue;
      }
      double x = LEFT + (n <= 1 ? 0 : plotW * i / (n - 1));
      double y = TOP + plotH - (top == 0 ? 0 : plotH * v / top);
      path.append(pen ? " L" : " M").append(String.format(Locale.ROOT, "%.1f,%.1f", x, y));
      pen = true;
    }
    StringBuilder sb = new StringBuilder();
    sb.append("<figure class=\"chart\" data-series=\"").append(Html.esc(s.id())).append("\"><figcaption>")
        .append(Html.esc(s.title())).append(" <b>").append(Html.esc(format(last, s.unit()))).append("</b>")
        .append("</figcaption>");
    sb.append(String.format(Locale.ROOT, "<svg viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">", W, H,
        Html.esc(s.title())));
    for (int g = 0; g <= 2; g++) {
      double y = TOP + plotH * g / 2.0;
      sb.append(String.format(Locale.ROOT, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>", LEFT,
          y, W - 10, y));
      sb.append(String.format(Locale.ROOT, "<text class=\"axis\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>",
          LEFT - 6, y + 4, Html.esc(format(top * (2 - g) / 2.0, s.unit()))));
    }
    long minutes = n == 0 ? 0 : (points.get(n - 1).millis() - points.get(0).millis()) / 60_000 + 1;
    sb.append(String.format(Locale.ROOT, "<text class=\"axis\" x=\"%d\" y=\"%d\">-%d min</text>", LEFT, H - 4,
        minutes));
    sb.append(String.format(Locale.ROOT, "<text class=\"axis\" x=\"%d\" y=\"%d\" text-anchor=\"end\">now</text>",
        W - 10, H - 4));
    if (!path.isEmpty()) {
      sb.append("<path class=\"line\" d=\"").append(path.toString().trim()).append("\"/>");
    } else {
      sb.append(String.format(Locale.ROOT, "<text class=\"axis\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">no data"
          + " yet</text>", (W + LEFT) / 2, H / 2));
    }
    sb.append("</svg></figure>");
    return sb.toString();
  }

  private static String format(double v, String unit) {
    return unit.equals("ms") ? Html.millis(v) : Html.rate(v, unit);
  }

  /** 1, 2 or 5 times a power of ten at or above {@code v}; 0 stays 0. */
  static double niceCeiling(double v) {
    if (v <= 0) {
      return 0;
    }
    double p = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 2, 5, 10}) {
      if (m * p >= v) {
        return m * p;
      }
    }
    return 10 * p;
  }
}
