package io.catena.monitor;

import java.util.Map;

/**
 * One sample of a Prometheus text page: a series name ({@code catena_storage_data_bytes_total}), its labels sorted by
 * name, and a value. Immutable.
 */
public record Sample(String name, Map<String, String> labels, double value) {
  public Sample {
    labels = Map.copyOf(labels);
  }

  public String label(String key) {
    return labels.getOrDefault(key, "");
  }

  /** Whether every given {@code key, value} pair is among the labels. */
  public boolean has(String... keyValues) {
    for (int i = 0; i + 1 < keyValues.length; i += 2) {
      if (!keyValues[i + 1].equals(labels.get(keyValues[i]))) {
        return false;
      }
    }
    return true;
  }
}
