package io.catena.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The POSIX behaviour suite (it/src/test/resources/posix/posix_suite.py) through a real mount of a real cluster:
 * files and flags, sparse files and truncates, directories, links, renames (renameat2 flags too), timestamps,
 * xattrs, FIFOs, statfs, an O_CREAT|O_EXCL race, permissions as uid 1000/1001 via setpriv (sticky and setgid rules),
 * and a readdir of 10,000 entries. Expected errnos are Linux's: the script passes unchanged on ext4 and tmpfs.
 */
class PosixSuiteTest {
  @TempDir
  static Path tmp;
  static Cluster cluster;

  @BeforeAll
  static void up() throws Exception {
    cluster = Cluster.start(tmp);
  }

  @AfterAll
  static void down() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void posixSuite_asRootAndAsOtherUsers_matchesLinux() {
    Cluster.Outcome r = cluster.python(Duration.ofMinutes(2), Map.of("POSIX_READDIR_ENTRIES", "10000"),
        "posix_suite.py", cluster.mount.toString());
    r.assertAllPassed();
    assertTrue(r.passed() >= 150, "expected the whole suite to run, saw " + r.passed() + " passing checks");
  }

  /**
   * A cluster started by {@code catena up} with its FUSE mount (and optionally a second mount), the suite's scripts
   * copied where setpriv'd users can read them, and teardown by SIGTERM that must leave no catena mount behind.
   * Not thread-safe: one per test class.
   */
  static final class Cluster implements AutoCloseable {
    private static final Pattern CONTROL = Pattern.compile("^\\s+control\\s+(tcp://\\S+)");
    final Path dir;
    final Path mount;
    final String control;
    private final Launcher.Daemon up;
    private final List<Launcher.Daemon> extraMounts = new ArrayList<>();
    private final List<Path> mountPoints = new ArrayList<>();

    private Cluster(Path dir, Launcher.Daemon up, Path mount, String control) {
      this.dir = dir;
      this.up = up;
      this.mount = mount;
      this.control = control;
      mountPoints.add(mount);
    }

    static Cluster start(Path tmp) throws Exception {
      // JUnit's @TempDir is 0700: setpriv'd callers would fail in /tmp, not in Catena.
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
      Path scripts = Files.createDirectories(tmp.resolve("scripts"));
      for (String name : List.of("posix_suite.py", "data_integrity.py")) {
        try (InputStream in = PosixSuiteTest.class.getResourceAsStream("/posix/" + name)) {
          Files.copy(in, scripts.resolve(name));
        }
        Files.setPosixFilePermissions(scripts.resolve(name), PosixFilePermissions.fromString("rw-r--r--"));
      }
      Path mnt = tmp.resolve("mnt");
      Launcher.Daemon up = new Launcher.Daemon(Map.of(), "up", "--data", tmp.resolve("data").toString(),
          "--listen", "tcp://127.0.0.1:0", "--mount", mnt.toString());
      String control = null;
      try {
        up.awaitLine(l -> l.startsWith("Stop it with"), Duration.ofSeconds(120));
        for (String line : up.output().split("\n")) {
          Matcher m = CONTROL.matcher(line);
          if (m.find()) {
            control = m.group(1);
          }
        }
        assertTrue(control != null, "no control address in:\n" + up.output());
      } catch (Throwable t) {
        up.process.toHandle().destroy();
        up.process.waitFor(60, TimeUnit.SECONDS);
        throw t;
      }
      return new Cluster(tmp, up, mnt, control);
    }

    /** Mounts the same cluster a second time with {@code catena mount}, as another client. */
    Path secondMount(String name) throws InterruptedException {
      Path mnt = dir.resolve(name);
      try {
        Files.createDirectories(mnt);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Launcher.Daemon d = new Launcher.Daemon(Map.of(), "mount", mnt.toString(), "--mgmtd", control,
          "--cluster-id", "catena");
      extraMounts.add(d);
      mountPoints.add(mnt);
      d.awaitLine(l -> l.startsWith("mounted catena on"), Duration.ofSeconds(60));
      return mnt;
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
      List<String> cmd = new ArrayList<>(List.of("python3", dir.resolve("scripts").resolve(script).toString()));
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

    @Override
    public void close() throws Exception {
      List<Launcher.Daemon> all = new ArrayList<>(extraMounts);
      all.add(up);
      for (Launcher.Daemon d : all) {
        d.process.toHandle().destroy(); // SIGTERM: unmount and stop cleanly
      }
      for (Launcher.Daemon d : all) {
        if (!d.process.waitFor(60, TimeUnit.SECONDS)) {
          d.close(); // SIGKILL
          fail("catena did not stop within 60 s of SIGTERM; output:\n" + d.output());
        }
      }
      List<String> left = new ArrayList<>();
      for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
        for (Path m : mountPoints) {
          if (line.split(" ")[1].equals(m.toString())) {
            left.add(line);
            Launcher.run(Duration.ofSeconds(30), Map.of(), "umount", m.toString());
          }
        }
      }
      assertEquals(List.of(), left, "catena mounts left behind after SIGTERM");
    }
  }
}
