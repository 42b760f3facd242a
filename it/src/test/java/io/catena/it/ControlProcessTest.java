package io.catena.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code catena up} through the real launcher: starts, answers status, stops cleanly on SIGTERM, restarts. */
class ControlProcessTest {
  private static final Pattern ADDRESS = Pattern.compile("control\\s+(tcp://127\\.0\\.0\\.1:\\d+)");

  private static String awaitAddress(Launcher.Daemon up) throws InterruptedException {
    String line = up.awaitLine(l -> ADDRESS.matcher(l).find(), Duration.ofMinutes(3));
    Matcher m = ADDRESS.matcher(line);
    assertTrue(m.find());
    return m.group(1);
  }

  @Test
  void upServesStatusStopsCleanlyOnSigtermAndRestartsOnTheSameData(@TempDir Path data) throws Exception {
    String address;
    try (Launcher.Daemon up = new Launcher.Daemon(Map.of(), "up", "--data", data.toString(),
        "--listen", "tcp://127.0.0.1:0")) {
      address = awaitAddress(up);

      Launcher.Result status = Launcher.run("status", "--address", address);
      assertEquals(0, status.exitCode(), status.err());
      assertTrue(status.out().contains("address       " + address), status.out());

      // SIGTERM, as Ctrl-C or systemd would; through the handle, because Process.destroy() also closes our pipes.
      up.process.toHandle().destroy();
      assertTrue(up.process.waitFor(60, TimeUnit.SECONDS), "up must exit after SIGTERM");
      up.awaitLine(l -> l.contains("control process stopped"), Duration.ofSeconds(30));
    }

    Launcher.Result down = Launcher.run("status", "--address", address, "--timeout", "2s");
    assertEquals(1, down.exitCode());
    assertTrue(down.err().contains("cannot reach " + address), down.err());

    // The KV store was closed cleanly (RocksDB's lock released): the same data directory opens again.
    try (Launcher.Daemon again = new Launcher.Daemon(Map.of(), "up", "--data", data.toString(),
        "--listen", "tcp://127.0.0.1:0")) {
      String second = awaitAddress(again);
      assertEquals(0, Launcher.run("status", "--address", second).exitCode());
    }
  }

  @Test
  void aSecondUpOnTheSameDataDirectoryIsRefusedWithAClearMessage(@TempDir Path data) throws Exception {
    try (Launcher.Daemon first = new Launcher.Daemon(Map.of(), "up", "--data", data.toString(),
        "--listen", "tcp://127.0.0.1:0")) {
      awaitAddress(first);
      Launcher.Result second = Launcher.run(Duration.ofMinutes(2), Map.of(), "up", "--data", data.toString(),
          "--listen", "tcp://127.0.0.1:0");
      assertEquals(1, second.exitCode(), second.out());
      assertTrue(second.err().contains(data.toString()), second.err());
    }
  }
}
