package io.catena.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17: {@code catena up} after trouble. The control process (inside `up`) stops answering for 10 s under a
 * create/write/read loop: calls wait and then succeed; for longer than {@code meta.client.deadline}: a call fails with
 * EIO, never a socket errno. Then kill -9 of `up`: nothing of the data directory keeps running or stays mounted, a new
 * `up` serves every file, and `down` leaves nothing behind.
 */
class UpCrashTest {
  /** Short for the test; the default is a minute. */
  private static final Duration DEADLINE = Duration.ofSeconds(15);

  @Test
  void pausedControl_callsWaitThenSucceed_orFailWithEio_andKillOfUp_leavesNothing(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("cluster");
    try (SingleMachineCluster c = SingleMachineCluster.start(data,
        Map.of("CATENA_META_CLIENT_DEADLINE", DEADLINE.toSeconds() + "s"))) {
      Files.writeString(c.mnt.resolve("kept.txt"), "written before the crash\n");
      ProcessHandle up = c.up.process.toHandle();

      // 1. Control paused for 10 s under a loop: its calls block, then succeed.
      List<String> errors = new CopyOnWriteArrayList<>();
      AtomicLong done = new AtomicLong();
      AtomicLong longestMs = new AtomicLong();
      AtomicBoolean running = new AtomicBoolean(true);
      Thread loop = Thread.ofPlatform().name("loop").start(() -> {
        long last = System.nanoTime();
        for (int i = 0; running.get(); i++) {
          Path f = c.mnt.resolve("loop-" + i);
          try {
            Files.writeString(f, "n" + i);
            if (!Files.readString(f).equals("n" + i)) {
              errors.add(f + ": wrong content");
            }
          } catch (IOException e) {
            errors.add(f + ": " + e);
          }
          long now = System.nanoTime();
          longestMs.accumulateAndGet(TimeUnit.NANOSECONDS.toMillis(now - last), Math::max);
          last = now;
          done.incrementAndGet();
        }
      });
      awaitMore(done, 3);
      signal("STOP", up);
      Thread.sleep(10_000); // the outage itself: the control process stays stopped this long
      signal("CONT", up);
      long before = done.get();
      awaitMore(done, before + 3);
      running.set(false);
      loop.join(60_000);
      assertEquals(List.of(), errors, "calls during a 10 s pause must wait and succeed");
      assertTrue(longestMs.get() >= 8_000, "the loop did block while control was stopped: " + longestMs.get());

      // 2. Paused past the deadline: EIO, not ECONNREFUSED or ETIMEDOUT.
      signal("STOP", up);
      long t0 = System.nanoTime();
      IOException failure = null;
      try {
        Files.createFile(c.mnt.resolve("while-control-is-stopped"));
      } catch (IOException e) {
        failure = e;
      } finally {
        signal("CONT", up);
      }
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertNotNull(failure, "a create must fail while control is stopped longer than the deadline");
      assertTrue(String.valueOf(failure.getMessage()).contains("Input/output error"), failure.toString());
      assertTrue(tookMs >= DEADLINE.toMillis() - 1000 && tookMs < DEADLINE.toMillis() + 20_000,
          "the failure comes at the deadline: " + tookMs + " ms");

      // 3. kill -9 of `up`: its children die with it, the mount included.
      up.destroyForcibly();
      assertTrue(up.onExit().completeOnTimeout(null, 30, TimeUnit.SECONDS).join() != null);
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!serving(data).isEmpty() || SingleMachineCluster.mounted(c.mnt)) {
        assertTrue(System.nanoTime() < end, "left running after kill -9 of up: " + serving(data)
            + (SingleMachineCluster.mounted(c.mnt) ? " and the mount" : ""));
        Thread.sleep(100); // polling the process table with a deadline
      }
    }

    // 4. A new `up` serves every file; `down` leaves nothing running and nothing mounted.
    try (SingleMachineCluster again = SingleMachineCluster.start(data)) {
      assertEquals("written before the crash\n", Files.readString(again.mnt.resolve("kept.txt")));
      Launcher.Result down = Launcher.run("down", "--data", data.toString());
      assertEquals(0, down.exitCode(), down.out() + down.err());
      assertTrue(down.out().contains("catena up (pid " + again.up.process.pid() + ")"), down.out());
      assertTrue(again.up.process.waitFor(60, TimeUnit.SECONDS));
      assertEquals(List.of(), serving(data));
      assertFalse(SingleMachineCluster.mounted(again.mnt));
    }
  }

  /** The processes whose command line names the data directory (children of `up` all do). */
  private static List<String> serving(Path data) {
    String d = data.toString() + "/";
    return ProcessHandle.allProcesses().filter(p -> p.info().commandLine().map(c -> c.contains(d)).orElse(false))
        .map(p -> p.pid() + " " + p.info().commandLine().orElse("")).toList();
  }

  private static void awaitMore(AtomicLong counter, long atLeast) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (counter.get() < atLeast) {
      assertTrue(System.nanoTime() < end, "the loop made no progress");
      Thread.sleep(20); // polling the loop's progress with a deadline
    }
  }

  private static void signal(String sig, ProcessHandle p) throws Exception {
    Process k = new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid())).start();
    assertTrue(k.waitFor(10, TimeUnit.SECONDS) && k.exitValue() == 0, "kill -" + sig + " " + p.pid());
  }
}
