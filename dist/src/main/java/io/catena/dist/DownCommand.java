package io.catena.dist;

import io.catena.fuse.FuseMount;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code catena down}: stops everything that serves a data directory. First the {@code catena up} process (as Ctrl-C
 * would; it stops its children itself), then any server process still naming the directory, whoever started it (an
 * `up` that was killed, processes started by hand), mounts first, each with SIGTERM and, after a grace period,
 * SIGKILL; finally it clears mount points a killed mount daemon left behind. Says what it stopped.
 */
@Command(name = "down", description = "Stop everything that serves a data directory: the `catena up` process and "
    + "any process of the directory still running (whoever started it), mounts first.")
final class DownCommand implements Callable<Integer> {
  private static final long GRACE_SECONDS = 30;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--data", paramLabel = "DIR", defaultValue = "./data", description = "default: ${DEFAULT-VALUE}")
  Path data;

  @Override
  public Integer call() throws Exception {
    Path dir = data.toAbsolutePath().normalize();
    PrintWriter out = spec.commandLine().getOut();
    List<String> stopped = new ArrayList<>();
    Set<Path> mountPoints = new LinkedHashSet<>(List.of(dir.resolve("mnt")));

    Path pidFile = dir.resolve(UpCommand.PID_FILE);
    Optional<ProcessHandle> up = readPid(pidFile).flatMap(ProcessHandle::of).filter(ProcessHandle::isAlive);
    if (up.isPresent()) {
      DataDirProcesses.of(dir).forEach(s -> s.mountPoint().ifPresent(mountPoints::add));
      stop(List.of(up.get()), 90);
      stopped.add("catena up (pid " + up.get().pid() + ")");
    }
    // Whatever still serves the directory: mounts first (they unmount on SIGTERM), then the servers.
    List<DataDirProcesses.Server> left = DataDirProcesses.of(dir);
    List<ProcessHandle> mounts = new ArrayList<>();
    List<ProcessHandle> servers = new ArrayList<>();
    for (DataDirProcesses.Server s : left) {
      s.mountPoint().ifPresent(mountPoints::add);
      ProcessHandle.of(s.pid()).ifPresent(h -> (s.isMount() ? mounts : servers).add(h));
      stopped.add(s.role() + " (pid " + s.pid() + ")");
    }
    stop(mounts, GRACE_SECONDS);
    stop(servers, GRACE_SECONDS);
    for (Path m : mountPoints) {
      if (isMounted(m)) {
        FuseMount.forceUnmount(m);
        stopped.add("the dead mount at " + m);
      }
    }
    Files.deleteIfExists(pidFile);
    if (stopped.isEmpty()) {
      out.println("nothing serves " + dir + ": the cluster is not running");
    } else {
      out.println("stopped the cluster on " + dir + ": " + String.join(", ", stopped));
    }
    return 0;
  }

  private static Optional<Long> readPid(Path pidFile) {
    try {
      return Optional.of(Long.parseLong(Files.readString(pidFile).trim()));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** SIGTERM to all, then waits up to {@code graceSeconds} for each; SIGKILL to whatever is still alive. */
  private static void stop(List<ProcessHandle> processes, long graceSeconds) throws InterruptedException {
    processes.forEach(ProcessHandle::destroy);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(graceSeconds);
    for (ProcessHandle p : processes) {
      try {
        p.onExit().get(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
        p.destroyForcibly();
        p.onExit().completeOnTimeout(p, 10, TimeUnit.SECONDS).join();
      }
    }
  }

  private static boolean isMounted(Path mountpoint) throws IOException {
    String mp = mountpoint.toAbsolutePath().normalize().toString();
    return Files.readAllLines(Path.of("/proc/mounts")).stream().map(l -> l.split(" "))
        .anyMatch(f -> f.length > 2 && f[1].equals(mp) && f[2].startsWith("fuse"));
  }
}
