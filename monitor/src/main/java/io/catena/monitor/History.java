package io.catena.monitor;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The last {@code monitor.history} of the {@link ChartSeries}, in steps of {@code monitor.history_step}, kept in
 * rings. Each push adds what changed since the same process's previous push (a counter that went down restarted:
 * its whole value is new), spread over the steps that span covered in proportion to the overlap, so a step's rate
 * does not jump with how many pushes happened to land in it. Thread-safe: synchronized.
 */
public final class History {
  /** One point of a chart: the step's start and its value (NaN: no data). */
  public record Point(long millis, double value) {}

  private record Last(long millis, double[] num, double[] den) {}

  private final List<ChartSeries> series;
  private final long step;
  private final int slots;
  private final long[] slotStart;
  private final double[][] num;
  private final double[][] den;
  private final Map<String, Last> last = new HashMap<>();

  public History(List<ChartSeries> series, Duration window, Duration step) {
    this.series = List.copyOf(series);
    this.step = step.toMillis();
    this.slots = (int) Math.max(2, window.toMillis() / this.step);
    this.slotStart = new long[slots];
    Arrays.fill(slotStart, -1);
    this.num = new double[series.size()][slots];
    this.den = new double[series.size()][slots];
  }

  public List<ChartSeries> series() {
    return series;
  }

  public synchronized void onPush(Push p) {
    int n = series.size();
    double[] nums = new double[n];
    double[] dens = new double[n];
    for (int i = 0; i < n; i++) {
      ChartSeries s = series.get(i);
      String[] labels = s.labelArray();
      if (s.kind() == ChartSeries.Kind.RATE) {
        nums[i] = p.sum(s.metric(), labels);
      } else {
        nums[i] = p.sum(s.metric() + "_sum", labels);
        dens[i] = p.sum(s.metric() + "_count", labels);
      }
    }
    Last prev = last.put(p.source(), new Last(p.millis(), nums, dens));
    if (prev == null || p.millis() <= prev.millis()) {
      return;
    }
    boolean restarted = false;
    for (int i = 0; i < n; i++) {
      restarted |= nums[i] < prev.num()[i] || dens[i] < prev.den()[i];
    }
    for (int i = 0; i < n; i++) {
      double dn = restarted ? nums[i] : nums[i] - prev.num()[i];
      double dd = restarted ? dens[i] : dens[i] - prev.den()[i];
      spread(i, prev.millis(), p.millis(), dn, dd);
    }
  }

  private void spread(int i, long t0, long t1, double dn, double dd) {
    long span = t1 - t0;
    long earliest = t1 - (long) slots * step;
    for (long s = Math.floorDiv(Math.max(t0, earliest), step) * step; s < t1; s += step) {
      long overlap = Math.min(t1, s + step) - Math.max(t0, s);
      if (overlap <= 0) {
        continue;
      }
      double f = (double) overlap / span;
      int slot = (int) Math.floorMod(s / step, (long) slots);
      if (slotStart[slot] != s) {
        if (slotStart[slot] > s) {
          continue; // older than what the ring holds now
        }
        slotStart[slot] = s;
        for (int k = 0; k < series.size(); k++) {
          num[k][slot] = 0;
          den[k][slot] = 0;
        }
      }
      num[i][slot] += dn * f;
      den[i][slot] += dd * f;
    }
  }

  /**
   * The chart of series {@code id}: one point per step of the window ending at {@code nowMillis}, leaving out steps
   * that pushes have not fully covered yet (the newest step of a source that pushed recently).
   */
  public synchronized List<Point> points(String id, long nowMillis) {
    int i = indexOf(id);
    ChartSeries s = series.get(i);
    long complete = nowMillis;
    for (Last l : last.values()) {
      if (nowMillis - l.millis() < 3 * step) {
        complete = Math.min(complete, l.millis());
      }
    }
    long end = Math.floorDiv(complete, step) * step;
    List<Point> out = new ArrayList<>(slots);
    for (long t = end - (long) slots * step; t < end; t += step) {
      int slot = (int) Math.floorMod(t / step, (long) slots);
      double v = Double.NaN;
      if (slotStart[slot] == t) {
        v = s.kind() == ChartSeries.Kind.RATE ? num[i][slot] * 1000.0 / step
            : den[i][slot] > 0 ? num[i][slot] / den[i][slot] * 1000.0 : Double.NaN;
      }
      out.add(new Point(t, v));
    }
    return out;
  }

  private int indexOf(String id) {
    for (int i = 0; i < series.size(); i++) {
      if (series.get(i).id().equals(id)) {
        return i;
      }
    }
    throw new IllegalArgumentException("no chart series " + id);
  }

  /** Forgets a process that stopped pushing long ago, so its last values do not pin the charts' end. */
  public synchronized void forget(String source) {
    last.remove(source);
  }
}
