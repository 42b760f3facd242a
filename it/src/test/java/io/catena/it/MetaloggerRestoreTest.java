package io.catena.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, the metadata logger (MooseFS's mfsmetalogger + mfsmetarestore) through the real launcher: `catena up`,
 * `catena metalogger` on another directory, files written and closed through the mount, the logger killed -9 and
 * restarted (it resumes from its change log, no new checkpoint), more files, the logger caught up; then kill -9 of
 * `up`, its metadata store deleted, `admin meta-restore` into its place, `catena up` again: every file closed
 * before the kill is there with its content. Also `admin backup` online through the control process and `admin
 * restore` of that dump into a fresh store.
 */
class MetaloggerRestoreTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private final long t0 = System.nanoTime();

  /** A progress line with the seconds since the start (in the surefire report: where the time goes). */
  private void step(String what) {
    System.out.printf("%6.1f s  %s%n", (System.nanoTime() - t0) / 1e9, what);
  }

  @Test
  void killedControl_storeDeleted_metaRestoreFromTheLogger_bringsBackEveryClosedFile() throws Exception {
    Path data = dir.resolve("cluster");
    Path ml = dir.resolve("metalogger");
    Path token = dir.resolve("logger.token"); // outside DATA: nothing of the logger names the data directory
    Map<String, String> files = new LinkedHashMap<>();
    Launcher.Daemon logger = null;
    try (SingleMachineCluster c = SingleMachineCluster.start(data)) {
      step("cluster up");
      Files.copy(c.adminToken(), token);
      logger = startLogger(c.controlAddress, ml, token);
      step("logger started");
      writeFiles(c.mnt, "first", 20, files);
      Files.createDirectories(c.mnt.resolve("first/sub/deeper"));
      Files.move(c.mnt.resolve("first/f3"), c.mnt.resolve("first/sub/deeper/moved"));
      files.put("first/sub/deeper/moved", files.remove("first/f3"));
      Files.delete(c.mnt.resolve("first/f4"));
      files.remove("first/f4");
      step("first files written");
      long v1 = awaitCaughtUp(ml, backupVersion(data, dir.resolve("backup-1.dump")));
      step("logger caught up");
      long checkpoint = Long.parseLong(status(ml).getProperty("checkpoint_version"));
      assertTrue(checkpoint >= 0 && checkpoint <= v1, status(ml).toString());

      // The logger dies without warning and comes back: it resumes from the change log it synced.
      logger.process.toHandle().destroyForcibly();
      assertTrue(logger.process.waitFor(30, TimeUnit.SECONDS));
      writeFiles(c.mnt, "second", 20, files); // while no logger runs
      step("second files written");
      logger = startLogger(c.controlAddress, ml, token);
      writeFiles(c.mnt, "third", 10, files);
      step("third files written");
      Path dump = dir.resolve("backup-2.dump");
      awaitCaughtUp(ml, backupVersion(data, dump));
      assertEquals(checkpoint, Long.parseLong(status(ml).getProperty("checkpoint_version")),
          "the restarted logger resumed from its change log instead of taking a new checkpoint: " + status(ml));
      step("logger caught up again");
      Launcher.Result st = Launcher.run("status", "--address", statusAddress(logger));
      assertEquals(0, st.exitCode(), st.out() + st.err());
      assertTrue(st.out().contains("metalogger of " + c.controlAddress + ": connected"), st.out());

      // kill -9 of `up`: the control process (and every child) dies; its metadata store is then lost.
      Launcher.Result seen = Launcher.run("admin", "metaloggers", "--data", data.toString(), "--json");
      assertEquals(0, seen.exitCode(), seen.out() + seen.err());
      assertTrue(JSON.readTree(seen.out()).get("loggers").size() >= 1, seen.out());
      step("status checked");
      ProcessHandle up = c.up.process.toHandle();
      up.destroyForcibly();
      assertTrue(up.onExit().completeOnTimeout(null, 30, TimeUnit.SECONDS).join() != null);
      awaitGone(data, c.mnt);
    }
    try {
      step("up killed, everything gone");
      Path kv = data.resolve("control/kv");
      assertTrue(Files.isDirectory(kv), "the store catena up keeps: " + kv);
      deleteTree(kv);

      Launcher.Result r = Launcher.run("admin", "meta-restore", "--from", ml.toString(), "--to", kv.toString(),
          "--json");
      assertEquals(0, r.exitCode(), r.out() + r.err());
      step("meta-restore done");
      JsonNode restored = JSON.readTree(r.out());
      assertTrue(restored.get("changes").asLong() > 0, "changes were replayed after the checkpoint: " + r.out());

      try (SingleMachineCluster again = SingleMachineCluster.start(data)) {
        step("up again");
        for (Map.Entry<String, String> f : files.entrySet()) {
          assertEquals(f.getValue(), Files.readString(again.mnt.resolve(f.getKey())), f.getKey());
        }
        assertTrue(Files.notExists(again.mnt.resolve("first/f4")), "a delete before the kill stays deleted");
        assertTrue(Files.notExists(again.mnt.resolve("first/f3")), "a rename before the kill stays renamed");
        try (Stream<Path> s = Files.list(again.mnt.resolve("second"))) {
          assertEquals(20, s.count());
        }
        // The restored cluster takes writes.
        Files.writeString(again.mnt.resolve("after-restore"), "still writable");
        assertEquals("still writable", Files.readString(again.mnt.resolve("after-restore")));
      }

      step("files verified");
      // The online backup taken before the crash restores into a fresh store, verified against its checksum.
      Launcher.Result rs = Launcher.run("admin", "restore", "--from", dir.resolve("backup-2.dump").toString(),
          "--to", "rocksdb://" + dir.resolve("from-backup"), "--json");
      assertEquals(0, rs.exitCode(), rs.out() + rs.err());
      assertTrue(JSON.readTree(rs.out()).get("keys").asLong() > 50, rs.out());
      Launcher.Result again = Launcher.run("admin", "restore", "--from", dir.resolve("backup-2.dump").toString(),
          "--to", "rocksdb://" + dir.resolve("from-backup"));
      assertEquals(1, again.exitCode(), "a non-empty store is refused: " + again.out() + again.err());
      assertTrue(again.err().contains("not empty"), again.err());
    } finally {
      if (logger != null) {
        logger.close();
      }
    }
  }

  private static Launcher.Daemon startLogger(String control, Path ml, Path token) throws InterruptedException {
    Launcher.Daemon d = new Launcher.Daemon(Map.of(), "metalogger", "--mgmtd", control, "--dir", ml.toString(),
        "--token-file", token.toString(), "--set", "metalogger.poll_wait=200ms");
    d.awaitLine(l -> l.startsWith("metalogger following"), Duration.ofSeconds(60));
    return d;
  }

  private static String statusAddress(Launcher.Daemon logger) {
    for (String l : logger.output().split("\n")) {
      int at = l.indexOf("status on ");
      if (l.startsWith("metalogger following") && at > 0) {
        return l.substring(at + "status on ".length()).split(" ")[0];
      }
    }
    throw new AssertionError("no status address in:\n" + logger.output());
  }

  private static void writeFiles(Path mnt, String sub, int n, Map<String, String> files) throws IOException {
    Path d = Files.createDirectories(mnt.resolve(sub));
    for (int i = 0; i < n; i++) {
      String content = (sub + " file " + i + "\n").repeat(i * 37 + 1);
      Files.writeString(d.resolve("f" + i), content); // written and closed
      files.put(sub + "/f" + i, content);
    }
  }

  /** An online backup through the control process; its version is at least every commit acknowledged before. */
  private static long backupVersion(Path data, Path file) throws IOException {
    Launcher.Result r = Launcher.run("admin", "backup", "--data", data.toString(), "--to", file.toString(),
        "--json");
    assertEquals(0, r.exitCode(), r.out() + r.err());
    JsonNode h = JSON.readTree(r.out());
    assertTrue(h.get("keys").asLong() > 0, r.out());
    return h.get("version").asLong();
  }

  private static Properties status(Path ml) throws IOException {
    Properties p = new Properties();
    Path f = ml.resolve("status");
    if (Files.exists(f)) {
      p.load(new StringReader(Files.readString(f)));
    }
    return p;
  }

  /** Waits until the logger says it holds version {@code v} (everything acknowledged before it was asked for). */
  private static long awaitCaughtUp(Path ml, long v) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      Properties p = status(ml);
      long got = Long.parseLong(p.getProperty("received_version", "-1"));
      if (got >= v) {
        return got;
      }
      if (System.nanoTime() > end) {
        fail("the logger did not reach version " + v + " within 60 s: " + p);
      }
      Thread.sleep(50); // polling the logger's status file with a deadline
    }
  }

  private static void awaitGone(Path data, Path mnt) throws Exception {
    String d = data.toString() + "/";
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (ProcessHandle.allProcesses().anyMatch(p -> p.info().commandLine().map(c -> c.contains(d)).orElse(false))
        || SingleMachineCluster.mounted(mnt)) {
      assertTrue(System.nanoTime() < end, "processes of " + data + " left running after kill -9 of up");
      Thread.sleep(100); // polling the process table with a deadline
    }
  }

  private static void deleteTree(Path p) throws IOException {
    List<Path> all = new ArrayList<>();
    try (Stream<Path> s = Files.walk(p)) {
      s.sorted(Comparator.reverseOrder()).forEach(all::add);
    }
    for (Path x : all) {
      Files.delete(x);
    }
  }
}
