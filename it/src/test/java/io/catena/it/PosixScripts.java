package io.catena.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The Python scripts of the POSIX and data-integrity suites (it/src/test/resources/posix), copied where setpriv'd
 * users can read them, and run as root with their PASS/FAIL/SKIP lines checked. Not thread-safe: one per test class.
 */
final class PosixScripts {
  private final Path dir;

  private PosixScripts(Path dir) {
    this.dir = dir;
  }

  /** Copies the scripts under {@code tmp}, which is made traversable for other users (JUnit's @TempDir is 0700). */
  static PosixScripts install(Path tmp) throws IOException {
    // setpriv'd callers must fail (or pass) in Catena, not in /tmp.
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path scripts = Files.createDirectories(tmp.resolve("scripts"));
    for (String name : List.of("posix_suite.py", "data_integrity.py")) {
      try (InputStream in = PosixScripts.class.getResourceAsStream("/posix/" + name)) {
        Files.copy(in, scripts.resolve(name));
      }
      Files.setPosixFilePermissions(scripts.resolve(name), PosixFilePermissions.fromString("rw-r--r--"));
    }
    return new PosixScripts(scripts);
  }

  /** The outcome of one script run: its output and exit code, with the suite's PASS/FAIL/SKIP lines. */
  record Outcome(String script, int exitCode, String out) {
    List<String> lines(String kind) {
      List<String> r = new ArrayList<>();
      for (String l : out.split("\n")) {
        String bare = l.replaceFirst("^\\[uid \\d+] ", "");
        if (bare.startsWith(kind + " ")) {
          r.add(l);
        }
      }
      return r;
    }

    int passed() {
      return lines("PASS").size();
    }

    void assertAllPassed() {
      List<String> fails = lines("FAIL");
      lines("SKIP").forEach(s -> System.out.println(script + ": " + s));
      if (!fails.isEmpty() || exitCode != 0 || !out.contains("DONE failures=0")) {
        fail(script + ": " + fails.size() + " failed check(s), exit " + exitCode + ":\n" + String.join("\n", fails)
            + "\n--- full output ---\n" + out);
      }
    }
  }

  /** Runs one of the suite's scripts as root with python3, bounded by {@code timeout}. */
  Outcome python(Duration timeout, Map<String, String> env, String script, String... args) {
    List<String> cmd = new ArrayList<>(List.of("python3", dir.resolve(script).toString()));
    cmd.addAll(List.of(args));
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      pb.environment().putAll(env);
      Process p = pb.start();
      p.getOutputStream().close();
      // Read on another thread so a hung script still times out with what it printed.
      StringBuilder out = new StringBuilder();
      Thread reader = Thread.ofPlatform().daemon().start(() -> {
        try {
          String all = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
          synchronized (out) {
            out.append(all);
          }
        } catch (IOException ignored) {
          // the process was killed
        }
      });
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        p.toHandle().destroyForcibly();
        reader.join(5000);
        synchronized (out) {
          fail(script + " did not finish within " + timeout + "; output so far:\n" + out);
        }
      }
      reader.join(10_000);
      synchronized (out) {
        return new Outcome(script, p.exitValue(), out.toString());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

}
