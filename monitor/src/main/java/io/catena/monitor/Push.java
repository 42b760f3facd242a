package io.catena.monitor;

import java.util.List;

/**
 * What one process pushed at one time: who it is ({@code role}, {@code node}, {@code host}, as its samples' labels
 * say) and its samples. Immutable.
 */
public record Push(String source, String role, String node, String host, long millis, List<Sample> samples) {
  public Push {
    samples = List.copyOf(samples);
  }

  /** The sum of every sample named {@code name} whose labels include the given pairs. */
  public double sum(String name, String... labels) {
    double total = 0;
    for (Sample s : samples) {
      if (s.name().equals(name) && s.has(labels)) {
        total += s.value();
      }
    }
    return total;
  }

  /** The first sample named {@code name} with the given label pairs, if any. */
  public java.util.Optional<Sample> first(String name, String... labels) {
    for (Sample s : samples) {
      if (s.name().equals(name) && s.has(labels)) {
        return java.util.Optional.of(s);
      }
    }
    return java.util.Optional.empty();
  }
}
