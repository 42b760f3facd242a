package io.catena.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code catena up} cluster started through the real launcher for a test, with its mount (and any further
 * {@code catena mount} clients) at hand. Stopping is SIGTERM, as Ctrl-C would be, and must leave no catena mount
 * behind. Not thread-safe: owned by one test (class).
 */
final class SingleMachineCluster implements AutoCloseable {
  private static final Pattern CONTROL = Pattern.compile("^\\s+control\\s+(tcp://\\S+)");

  final Path data;
  final Path mnt;
  final Launcher.Daemon up;
  final String controlAddress;
  private final List<Launcher.Daemon> extraMounts = new ArrayList<>();
  private final List<Path> mountPoints = new ArrayList<>();

  private SingleMachineCluster(Path data, Launcher.Daemon up, String controlAddress) {
    this.data = data;
    this.mnt = data.resolve("mnt");
    this.up = up;
    this.controlAddress = controlAddress;
    mountPoints.add(mnt);
  }

  /** Starts {@code catena up --data DATA} (mounted at DATA/mnt) and waits until it says it is up. */
  static SingleMachineCluster start(Path data) throws InterruptedException {
    return start(data, Map.of());
  }

  /** As {@link #start(Path)}, with extra environment (e.g. CATENA_* config overrides every process inherits). */
  static SingleMachineCluster start(Path data, Map<String, String> env) throws InterruptedException {
    return start(data, env, List.of());
  }

  /** As {@link #start(Path, Map)}, with more {@code catena up} options (e.g. {@code --storage-nodes 4}). */
  static SingleMachineCluster start(Path data, Map<String, String> env, List<String> upOptions)
      throws InterruptedException {
    List<String> args = new ArrayList<>(List.of("up", "--data", data.toString(), "--listen", "tcp://127.0.0.1:0"));
    args.addAll(upOptions);
    Launcher.Daemon up = new Launcher.Daemon(env, args.toArray(String[]::new));
    try {
      up.awaitLine(l -> l.startsWith("Stop it with"), Duration.ofMinutes(3));
      for (String line : up.output().split("\n")) {
        Matcher m = CONTROL.matcher(line);
        if (m.find()) {
          return new SingleMachineCluster(data, up, m.group(1));
        }
      }
      throw new AssertionError("no control address in:\n" + up.output());
    } catch (RuntimeException | Error | InterruptedException e) {
      up.close();
      throw e;
    }
  }

  /** The admin token `catena up` created for this cluster. */
  Path adminToken() {
    return data.resolve("admin.token");
  }

  /** Mounts the same cluster a second time with {@code catena mount} at DATA/NAME, as another client. */
  Path secondMount(String name) throws IOException, InterruptedException {
    return secondMount(name, adminToken());
  }

  /** As {@link #secondMount(String)}, authenticating with the token in {@code tokenFile}. */
  Path secondMount(String name, Path tokenFile) throws IOException, InterruptedException {
    return secondMount(name, tokenFile, Map.of());
  }

  /** As {@link #secondMount(String, Path)}, with extra environment (e.g. CATENA_RPC_CLIENT_BIND_ADDRESS). */
  Path secondMount(String name, Path tokenFile, Map<String, String> env, String... extraArgs)
      throws IOException, InterruptedException {
    Path at = Files.createDirectories(data.resolve(name));
    List<String> args = new ArrayList<>(List.of("mount", at.toString(), "--mgmtd", controlAddress,
        "--cluster-id", "catena", "--token-file", tokenFile.toString()));
    args.addAll(List.of(extraArgs));
    Launcher.Daemon d = new Launcher.Daemon(env, args.toArray(String[]::new));
    extraMounts.add(d);
    mountPoints.add(at);
    d.awaitLine(l -> l.startsWith("mounted catena on"), Duration.ofSeconds(60));
    return at;
  }

  /** The running process whose command line contains {@code fragment} (e.g. a storage node's disk dir). */
  static Optional<ProcessHandle> child(String fragment) {
    return ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().map(c -> c.contains(fragment)).orElse(false)).findFirst();
  }

  static boolean mounted(Path mountpoint) throws IOException {
    String mp = mountpoint.toAbsolutePath().normalize().toString();
    return Files.readAllLines(Path.of("/proc/mounts")).stream().anyMatch(l -> l.split(" ")[1].equals(mp));
  }

  /**
   * SIGTERM to the extra mounts and to {@code catena up}; each must exit within a minute, and no mount of this
   * cluster may remain (any left is cleared with {@code catena umount} before the assertion fails).
   */
  void stop() throws Exception {
    List<Launcher.Daemon> all = new ArrayList<>(extraMounts);
    all.add(up);
    for (Launcher.Daemon d : all) {
      d.process.toHandle().destroy();
    }
    for (Launcher.Daemon d : all) {
      if (!d.process.waitFor(60, TimeUnit.SECONDS)) {
        d.close(); // SIGKILL
        fail("catena did not stop within 60 s of SIGTERM; output:\n" + d.output());
      }
    }
    // The control process logs to up's output: kept beside the other processes' logs for a failed test to show.
    Path logs = data.resolve("logs");
    if (Files.isDirectory(logs)) {
      Files.writeString(logs.resolve("up.log"), up.output());
    }
    List<Path> left = new ArrayList<>();
    for (Path m : mountPoints) {
      if (mounted(m)) {
        left.add(m);
        Launcher.run(Duration.ofSeconds(30), Map.of(), "umount", m.toString());
      }
    }
    assertEquals(List.of(), left, "catena mounts left behind after SIGTERM");
  }

  @Override
  public void close() throws Exception {
    if (up.process.isAlive() || extraMounts.stream().anyMatch(d -> d.process.isAlive())) {
      stop();
    }
  }
}
