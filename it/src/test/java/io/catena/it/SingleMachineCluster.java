package io.catena.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A {@code catena up} cluster started through the real launcher for one test, with its processes at hand. */
final class SingleMachineCluster implements AutoCloseable {
  private static final Pattern CONTROL = Pattern.compile("^\\s+control\\s+(tcp://\\S+)");

  final Path data;
  final Path mnt;
  final Launcher.Daemon up;
  final String controlAddress;

  private SingleMachineCluster(Path data, Launcher.Daemon up, String controlAddress) {
    this.data = data;
    this.mnt = data.resolve("mnt");
    this.up = up;
    this.controlAddress = controlAddress;
  }

  static SingleMachineCluster start(Path data) throws InterruptedException {
    Launcher.Daemon up = new Launcher.Daemon(Map.of(), "up", "--data", data.toString(), "--listen",
        "tcp://127.0.0.1:0");
    try {
      String control = null;
      while (control == null) {
        String line = up.awaitLine(l -> CONTROL.matcher(l).find() || l.startsWith("Stop it with"),
            Duration.ofMinutes(3));
        Matcher m = CONTROL.matcher(line);
        if (m.find()) {
          control = m.group(1);
        }
      }
      up.awaitLine(l -> l.startsWith("Stop it with"), Duration.ofMinutes(2));
      return new SingleMachineCluster(data, up, control);
    } catch (RuntimeException | Error | InterruptedException e) {
      up.close();
      throw e;
    }
  }

  /** The running child process whose command line contains {@code fragment} (e.g. a storage node's disk dir). */
  static Optional<ProcessHandle> child(String fragment) {
    return ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().map(c -> c.contains(fragment)).orElse(false)).findFirst();
  }

  static boolean mounted(Path mountpoint) throws IOException {
    String mp = mountpoint.toAbsolutePath().normalize().toString();
    return Files.readAllLines(Path.of("/proc/mounts")).stream().anyMatch(l -> l.split(" ")[1].equals(mp));
  }

  /** SIGTERM, as Ctrl-C would; waits for every process to exit and checks the mount is gone. */
  void stop() throws Exception {
    up.process.toHandle().destroy();
    assertTrue(up.process.waitFor(90, TimeUnit.SECONDS), "catena up must exit after SIGTERM");
    assertTrue(!mounted(mnt), "the mount is gone after catena up stops");
  }

  @Override
  public void close() throws Exception {
    if (up.process.isAlive()) {
      stop();
    }
    if (mounted(mnt)) {
      Launcher.run("umount", mnt.toString());
    }
  }
}
