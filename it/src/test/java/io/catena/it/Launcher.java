package io.catena.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** Runs the real {@code ./catena} launcher of this checkout, as a user would. */
final class Launcher {
  static final Path ROOT = Path.of(System.getProperty("catena.root", "..")).toAbsolutePath().normalize();

  /** The outcome of a finished command. */
  record Result(int exitCode, String out, String err) {}

  private Launcher() {}

  static ProcessBuilder builder(Map<String, String> env, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(ROOT.resolve("catena").toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile());
    pb.environment().putAll(env);
    return pb;
  }

  /** Runs a command to completion (bounded by {@code timeout}) and returns its exit code and output. */
  static Result run(Duration timeout, Map<String, String> env, String... args) {
    try {
      Process p = builder(env, args).start();
      p.getOutputStream().close();
      var out = p.getInputStream().readAllBytes();
      var err = p.getErrorStream().readAllBytes();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("catena " + String.join(" ", args) + " did not finish within " + timeout);
      }
      return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  static Result run(String... args) {
    return run(Duration.ofMinutes(3), Map.of(), args);
  }

  /**
   * The first step of a deployment: {@code catena admin init-cluster} on the store {@code catena mgmtd --data DIR}
   * uses ({@code DIR/kv}). Returns the file holding the admin token.
   */
  static java.nio.file.Path initCluster(java.nio.file.Path mgmtdData, String clusterId) {
    java.nio.file.Path token = mgmtdData.resolve("admin.token");
    Result r = run("admin", "init-cluster", "--kv", "rocksdb://" + mgmtdData.resolve("kv"), "--cluster-id",
        clusterId, "--token-file", token.toString());
    if (r.exitCode() != 0) {
      throw new AssertionError("init-cluster failed (" + r.exitCode() + "): " + r.out() + r.err());
    }
    return token;
  }

  /** A long-running launcher process whose stdout lines can be awaited. Stops it (SIGKILL) on close. */
  static final class Daemon implements AutoCloseable {
    final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StringBuilder seen = new StringBuilder();

    Daemon(Map<String, String> env, String... args) {
      try {
        process = builder(env, args).redirectErrorStream(true).start();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Thread.ofPlatform().daemon().name("catena-output").start(() -> {
        try (BufferedReader r = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          for (String line; (line = r.readLine()) != null; ) {
            lines.add(line);
          }
        } catch (IOException ignored) {
          // the process went away; the waiter times out with what it saw
        }
      });
    }

    /** Waits for an output line matching {@code p}; fails with everything seen so far if none comes in time. */
    String awaitLine(Predicate<String> p, Duration timeout) throws InterruptedException {
      long end = System.nanoTime() + timeout.toNanos();
      while (true) {
        long left = end - System.nanoTime();
        String line = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : null;
        if (line == null) {
          throw new AssertionError("no matching line within " + timeout + "; output so far:\n" + seen);
        }
        seen.append(line).append('\n');
        if (p.test(line)) {
          return line;
        }
      }
    }

    String output() {
      return seen.toString();
    }

    @Override
    public void close() {
      process.toHandle().destroyForcibly();
      try {
        process.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
