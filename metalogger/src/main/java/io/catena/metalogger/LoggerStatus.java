package io.catena.metalogger;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * What a logger reports about itself: the version it holds (received and synced), the newest the control process
 * has committed, how far behind that is in versions and seconds, its newest checkpoint, whether it is connected
 * and the last error. Immutable.
 */
public record LoggerStatus(String control, boolean connected, long receivedVersion, long latestVersion,
    long checkpointVersion, double behindSeconds, String lastError) {

  public long behindVersions() {
    return Math.max(0, latestVersion - receivedVersion);
  }

  /** One line, for logs and the role `catena status` shows. */
  public String line() {
    return "metalogger of " + control + ": " + (connected ? "connected" : "DISCONNECTED") + ", version "
        + receivedVersion + " of " + latestVersion + " (" + behindVersions() + " behind, "
        + String.format("%.1f", behindSeconds) + " s), checkpoint " + checkpointVersion
        + (lastError.isEmpty() ? "" : ", last error: " + lastError);
  }

  /** Writes DIR/status (a properties file, replaced atomically) for operators and scripts. */
  void write(Path dir) throws IOException {
    String text = "control=" + control + "\nconnected=" + connected + "\nreceived_version=" + receivedVersion
        + "\nlatest_version=" + latestVersion + "\nbehind_versions=" + behindVersions() + "\nbehind_seconds="
        + String.format("%.3f", behindSeconds) + "\ncheckpoint_version=" + checkpointVersion + "\nlast_error="
        + lastError.replace('\n', ' ') + "\n";
    Path tmp = dir.resolve("status.tmp");
    Files.writeString(tmp, text, StandardCharsets.UTF_8);
    Files.move(tmp, dir.resolve("status"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }
}
