package io.catena.monitor;

import java.util.List;

/**
 * A cluster-wide series the monitor keeps in memory for charts: a rate of a counter summed over every process, or
 * the mean of a latency histogram ({@code _sum} over {@code _count}) over every process. Immutable.
 *
 * @param metric the counter, or the histogram's base name (without {@code _sum}/{@code _count})
 * @param labels label pairs a sample must carry to count
 * @param unit how the dashboard labels the values: {@code B/s}, {@code ops/s} or {@code ms}
 */
public record ChartSeries(String id, String title, String metric, List<String> labels, Kind kind, String unit) {
  /** RATE: per second; MEAN_MS: mean latency in milliseconds. */
  public enum Kind { RATE, MEAN_MS }

  /** What the dashboard charts: throughput and latency of the data path and the namespace. */
  public static final List<ChartSeries> DEFAULT = List.of(
      new ChartSeries("storage_read", "Storage reads", "catena_storage_data_bytes_total", List.of("op", "read"),
          Kind.RATE, "B/s"),
      new ChartSeries("storage_write", "Storage writes (at chain heads)", "catena_storage_data_bytes_total",
          List.of("op", "write"), Kind.RATE, "B/s"),
      new ChartSeries("meta_ops", "Metadata operations", "catena_meta_op_seconds_count", List.of(), Kind.RATE,
          "ops/s"),
      new ChartSeries("fuse_ops", "FUSE requests", "catena_fuse_op_seconds_count", List.of(), Kind.RATE, "ops/s"),
      new ChartSeries("write_latency", "Chunk write latency (head, mean)", "catena_storage_op_seconds",
          List.of("op", "write"), Kind.MEAN_MS, "ms"),
      new ChartSeries("read_latency", "Chunk read latency (mean)", "catena_storage_op_seconds",
          List.of("op", "read"), Kind.MEAN_MS, "ms"),
      new ChartSeries("meta_latency", "Metadata operation latency (mean)", "catena_meta_op_seconds", List.of(),
          Kind.MEAN_MS, "ms"));

  String[] labelArray() {
    return labels.toArray(String[]::new);
  }
}
