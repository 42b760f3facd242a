package io.catena.monitor;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The samples every process pushes: the latest and the previous push of each (for rates now), the chart history,
 * and the sinks each push is handed to (ClickHouse). Thread-safe: a source's pair of pushes is replaced as one
 * record; the history synchronizes itself.
 */
public final class Collector {
  /** The last two pushes of one process. */
  public record Latest(Push current, Push previous) {
    /** Per second, between the two pushes, of the sum of series {@code name} with the given labels (0 if unknown). */
    public double rate(String name, String... labels) {
      if (previous == null || current.millis() <= previous.millis()) {
        return 0;
      }
      double d = current.sum(name, labels) - previous.sum(name, labels);
      return d < 0 ? 0 : d * 1000.0 / (current.millis() - previous.millis());
    }

    /** Mean of histogram {@code base} between the two pushes, in milliseconds (NaN without calls). */
    public double meanMillis(String base, String... labels) {
      if (previous == null) {
        return Double.NaN;
      }
      double count = current.sum(base + "_count", labels) - previous.sum(base + "_count", labels);
      double sum = current.sum(base + "_sum", labels) - previous.sum(base + "_sum", labels);
      return count > 0 && sum >= 0 ? sum / count * 1000.0 : Double.NaN;
    }
  }

  private final Clock clock;
  private final History history;
  private final ConcurrentHashMap<String, Latest> sources = new ConcurrentHashMap<>();
  private final List<Consumer<Push>> sinks = new java.util.concurrent.CopyOnWriteArrayList<>();

  public Collector(History history, Clock clock) {
    this.history = history;
    this.clock = clock;
  }

  /** Hands every later push to {@code sink} too (on the pushing request's thread: it must not block). */
  public void addSink(Consumer<Push> sink) {
    sinks.add(sink);
  }

  /**
   * Takes one push of Prometheus text. Who pushed comes from the samples' role/node/host labels (every process
   * labels all of its series so); {@code source} names the pusher when the labels do not.
   */
  public Push accept(String source, String text) {
    List<Sample> samples = PromText.parse(text);
    String role = "";
    String node = "";
    String host = "";
    for (Sample s : samples) {
      if (!s.label("role").isEmpty()) {
        role = s.label("role");
        node = s.label("node");
        host = s.label("host");
        break;
      }
    }
    String key = role.isEmpty() ? source : role + " " + node + " " + host;
    Push p = new Push(key, role, node, host, clock.millis(), samples);
    sources.compute(key, (k, old) -> new Latest(p, old == null ? null : old.current()));
    history.onPush(p);
    for (Consumer<Push> s : sinks) {
      s.accept(p);
    }
    return p;
  }

  /** The latest pushes of every process heard from within {@code maxAgeMillis}, by role then node. */
  public List<Latest> latest(long maxAgeMillis) {
    long now = clock.millis();
    List<Latest> out = new ArrayList<>();
    for (Latest l : sources.values()) {
      if (now - l.current().millis() <= maxAgeMillis) {
        out.add(l);
      }
    }
    out.sort(Comparator.comparing((Latest l) -> l.current().role()).thenComparing(l -> l.current().node()));
    return out;
  }

  /** The latest push of the process with this role and node, if heard from within {@code maxAgeMillis}. */
  public Optional<Latest> of(String role, String node, long maxAgeMillis) {
    return latest(maxAgeMillis).stream().filter(l -> l.current().role().equals(role)
        && l.current().node().equals(node)).findFirst();
  }

  /** Forgets processes silent for longer than {@code maxAgeMillis} (a restarted process comes back under its key). */
  public void expire(long maxAgeMillis) {
    long now = clock.millis();
    sources.entrySet().removeIf(e -> {
      boolean old = now - e.getValue().current().millis() > maxAgeMillis;
      if (old) {
        history.forget(e.getKey());
      }
      return old;
    });
  }

  public History history() {
    return history;
  }

  public long now() {
    return clock.millis();
  }
}
