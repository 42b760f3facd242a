package io.catena.dist;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Catena role started as a child process of this launcher (same JVM binary, same archive), its output copied to a
 * log file and watched for the line that says it is ready. Thread-safe: the output is consumed by its own thread.
 */
final class ChildProcess implements AutoCloseable {
  private final String name;
  private final List<String> command;
  private final Process process;
  private final Path log;
  private final List<String> lines = new ArrayList<>();

  private ChildProcess(String name, List<String> command, Process process, Path log) {
    this.name = name;
    this.command = List.copyOf(command);
    this.process = process;
    this.log = log;
  }

  /** Starts {@code catena ARGS...} with output appended to {@code log}. */
  static ChildProcess start(String name, Path log, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.add("--enable-native-access=ALL-UNNAMED");
    cmd.add("--sun-misc-unsafe-memory-access=allow");
    cmd.addAll(jvmOptions(System.getenv("CATENA_JAVA_OPTS")));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.addAll(args);
    return startCommand(name, log, cmd);
  }

  /** The launcher's {@code CATENA_JAVA_OPTS} (whitespace-separated), which every Catena JVM it starts gets. */
  static List<String> jvmOptions(String env) {
    if (env == null || env.isBlank()) {
      return List.of();
    }
    return List.of(env.strip().split("\\s+"));
  }

  /** Starts another program (e.g. an etcd member) the same way: output to {@code log}, watched for readiness. */
  static ChildProcess startCommand(String name, Path log, List<String> cmd) {
    try {
      Files.createDirectories(log.getParent());
      Process p = spawn(dieWithParent(cmd));
      p.getOutputStream().close();
      ChildProcess c = new ChildProcess(name, cmd, p, log);
      Thread.ofPlatform().daemon().name(name + "-output").start(c::copyOutput);
      return c;
    } catch (IOException e) {
      throw new CatenaException(io.catena.common.Status.of(Errno.EIO, "cannot start %s: %s", name, e), e);
    }
  }

  /**
   * Every child is forked by this one thread, which lives as long as the JVM: the kernel sends the parent-death signal
   * (set by setpriv before it execs the child) when the thread that forked the child ends, not the process.
   */
  private static final ExecutorService SPAWNER = Executors.newSingleThreadExecutor(
      Thread.ofPlatform().daemon().name("catena-spawner").factory());
  private static final Path SETPRIV = Path.of("/usr/bin/setpriv");

  private static Process spawn(List<String> cmd) throws IOException {
    try {
      return SPAWNER.submit(() -> new ProcessBuilder(cmd).redirectErrorStream(true).start()).get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IOException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while starting " + cmd.getFirst(), e);
    }
  }

  /**
   * {@code cmd} under {@code setpriv --pdeathsig TERM}: the child gets SIGTERM (and shuts down cleanly: a mount
   * unmounts) when this process dies, even by kill -9, so nothing outlives {@code catena up} unnoticed. Without
   * setpriv (util-linux) the command runs as it is, and {@code catena up}/{@code down} find orphans by their command
   * lines instead ({@link DataDirProcesses}).
   */
  static List<String> dieWithParent(List<String> cmd) {
    if (!Files.isExecutable(SETPRIV)) {
      return cmd;
    }
    List<String> out = new ArrayList<>(List.of(SETPRIV.toString(), "--pdeathsig", "TERM"));
    out.addAll(cmd);
    return out;
  }

  private void copyOutput() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        OutputStream out = Files.newOutputStream(log, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
      for (String line; (line = r.readLine()) != null; ) {
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        synchronized (lines) {
          lines.add(line);
          lines.notifyAll();
        }
      }
    } catch (IOException ignored) {
      // the child is gone; waiters see it exit
    }
    synchronized (lines) {
      lines.notifyAll();
    }
  }

  /** Waits for an output line matching {@code pattern}; returns the match. Fails if the child exits first. */
  Matcher awaitLine(Pattern pattern, Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    int seen = 0;
    synchronized (lines) {
      while (true) {
        for (; seen < lines.size(); seen++) {
          Matcher m = pattern.matcher(lines.get(seen));
          if (m.find()) {
            return m;
          }
        }
        if (!process.isAlive() && seen == lines.size()) {
          throw CatenaException.of(Errno.EIO, "%s exited with code %d before it was ready; see %s", name,
              process.exitValue(), log);
        }
        long left = end - System.nanoTime();
        if (left <= 0) {
          throw CatenaException.of(Errno.ETIMEDOUT, "%s was not ready within %s; see %s", name, timeout, log);
        }
        lines.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
      }
    }
  }

  /** The same program again, with the same arguments and log (a supervisor's restart). */
  ChildProcess respawn() {
    return startCommand(name, log, command);
  }

  /** Completes when the process has exited. */
  java.util.concurrent.CompletableFuture<Process> onExit() {
    return process.onExit();
  }

  /** The exit code (only once it has exited). */
  int exitValue() {
    return process.exitValue();
  }

  long pid() {
    return process.pid();
  }

  String name() {
    return name;
  }

  Path log() {
    return log;
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** SIGTERM, then SIGKILL if it has not exited within {@code grace}. */
  void stop(Duration grace) throws InterruptedException {
    if (!process.isAlive()) {
      return;
    }
    process.toHandle().destroy();
    if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
      process.toHandle().destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop(Duration.ofSeconds(20));
  }
}
