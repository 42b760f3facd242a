package io.catena.dist;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The metrics endpoints of a {@code catena up} cluster as a Prometheus file_sd target list (DATA/prometheus-
 * targets.json), which {@code deploy/prometheus.yml} reads: Prometheus follows restarts and new ports without a
 * reload. Stateless.
 */
final class PrometheusTargets {
  static final String FILE = "prometheus-targets.json";

  private PrometheusTargets() {}

  /** Writes {@code endpoints} (http://host:port) atomically. */
  static void write(Path file, String clusterId, List<String> endpoints) {
    String targets = endpoints.stream().map(e -> URI.create(e).getAuthority()).map(a -> "\"" + a + "\"")
        .collect(Collectors.joining(", "));
    String json = "[\n  {\"targets\": [" + targets + "], \"labels\": {\"cluster\": \"" + clusterId.replace("\"", "")
        + "\"}}\n]\n";
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      Files.writeString(tmp, json);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw CatenaException.of(Errno.EIO, "cannot write %s: %s", file, e);
    }
  }
}
