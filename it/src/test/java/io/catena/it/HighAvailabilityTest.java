package io.catena.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12's fault test. A {@code catena up} cluster with a file moves onto etcd ({@code up --ha --move-to-etcd}: 3 etcd
 * members, 2 mgmtd, 2 meta, 3 storage, a FUSE mount) and the file reads back; then a writer
 * streaming data into files, a loop creating, renaming and removing files, and a reader checking acknowledged files,
 * all through the mount; then kill -9, one at a time with recovery between, of the primary mgmtd, one meta server,
 * the etcd leader and one storage process. For each kill: no read fails, writes resume within 15 s, and the longest
 * stall is printed. Afterwards every acknowledged byte and namespace operation is there and fsck is clean. Finally etcd
 * as a whole stops answering (all members frozen with SIGSTOP): a metadata call fails with EIO after its deadline
 * instead of hanging, and works again once etcd is back. A plain {@code up} on the moved directory is refused, and
 * {@code up --ha} again brings every file back.
 */
class HighAvailabilityTest {
  private static final int FILE_BYTES = 128 * 1024;
  /** The writer cycles over this many file names, so the data stays small however long the test runs. */
  private static final int SLOTS = 64;
  private static final Duration RESUME_LIMIT = Duration.ofSeconds(15);
  /** meta.client.deadline for this cluster (a minute by default), so the etcd-down case ends sooner. */
  private static final Duration META_DEADLINE = Duration.ofSeconds(20);

  /** What the workload threads acknowledged, and when (ms since the epoch of each success). */
  private static final class Log {
    /** Slot -> the generation last acknowledged in it. */
    final Map<Integer, Integer> writtenFiles = new ConcurrentHashMap<>();
    /** A slot's file is rewritten under its write lock; the reader reads under the read lock. */
    final java.util.concurrent.locks.ReadWriteLock[] slotLocks = new java.util.concurrent.locks.ReadWriteLock[SLOTS];

    Log() {
      for (int i = 0; i < SLOTS; i++) {
        slotLocks[i] = new java.util.concurrent.locks.ReentrantReadWriteLock();
      }
    }

    final ConcurrentSkipListMap<Long, String> writeAcks = new ConcurrentSkipListMap<>();
    final ConcurrentSkipListMap<Long, String> namespaceAcks = new ConcurrentSkipListMap<>();
    final Set<String> expectedNames = Collections.synchronizedSet(new TreeSet<>());
    final Set<String> uncertainNames = ConcurrentHashMap.newKeySet();
    final List<String> readFailures = new CopyOnWriteArrayList<>();
    final List<String> writeErrors = new CopyOnWriteArrayList<>();
    final List<String> namespaceErrors = new CopyOnWriteArrayList<>();
    volatile long readsChecked;

    static long now() {
      return System.currentTimeMillis();
    }

    synchronized void ack(ConcurrentSkipListMap<Long, String> acks, String what) {
      long t = now();
      while (acks.containsKey(t)) {
        t++; // keys are unique; a shift of a millisecond does not matter to a stall measured in seconds
      }
      acks.put(t, what);
    }
  }

  private record Outage(String fault, long writeStallMs, long namespaceStallMs) {}

  @Test
  void movedOntoEtcd_eachControlPartAndAStorageNodeKilled_noAcknowledgedWorkLost_andItRestarts(@TempDir Path dir)
      throws Exception {
    // A cluster that starts on one machine, then outgrows it: `up --ha --move-to-etcd` copies its store into etcd.
    Path cluster = dir.resolve("cluster");
    byte[] blob = new byte[5 * 1024 * 1024 + 77];
    new Random(12).nextBytes(blob);
    try (SingleMachineCluster single = SingleMachineCluster.start(cluster)) {
      Files.createDirectories(single.mnt.resolve("project/run-1"));
      Files.write(single.mnt.resolve("project/run-1/weights.bin"), blob);
      Files.createSymbolicLink(single.mnt.resolve("project/latest"), Path.of("run-1"));
      single.stop();
    }
    Log log = new Log();
    try (HaCluster c = HaCluster.start(cluster, Map.of("CATENA_META_CLIENT_DEADLINE", META_DEADLINE.toSeconds() + "s"),
        "--move-to-etcd")) {
      assertTrue(c.up.output().matches("(?s).*moved \\d+ keys from \\S+control/kv into etcd://\\S+ \\(SHA-256 "
          + "[0-9a-f]{64}, verified\\).*"), c.up.output());
      assertFalse(Files.exists(cluster.resolve("control/kv")), "the embedded store is out of the way");
      assertTrue(Files.isDirectory(cluster.resolve("control/kv.moved-to-etcd")), "and kept");
      assertArrayEquals(blob, Files.readAllBytes(c.mnt.resolve("project/latest/weights.bin")),
          "a file written on one machine reads back on etcd");
      Path data = Files.createDirectories(c.mnt.resolve("data"));
      Path ns = Files.createDirectories(c.mnt.resolve("ns"));
      AtomicBoolean running = new AtomicBoolean(true);
      List<Thread> workers = new ArrayList<>(List.of(
          Thread.ofPlatform().name("writer").start(() -> writer(data, log, running)),
          Thread.ofPlatform().name("namespace").start(() -> namespaceLoop(ns, log, running))));
      List<Outage> outages = new ArrayList<>();
      try {
        awaitAcks(log, 5, Duration.ofSeconds(60));
        workers.add(Thread.ofPlatform().name("reader").start(() -> reader(data, log, running)));

        int primary = c.primaryMgmtd(Duration.ofSeconds(30));
        outages.add(fault(c, log, "primary mgmtd (node " + primary + ")", c.mgmtd(primary)));
        outages.add(fault(c, log, "meta 100", c.meta(100)));
        int leader = c.etcdLeader();
        outages.add(fault(c, log, "etcd leader (member " + leader + ")", c.etcdMember(leader)));
        outages.add(fault(c, log, "storage 2", c.storage(2)));
      } finally {
        running.set(false);
        for (Thread t : workers) {
          t.join(TimeUnit.MINUTES.toMillis(2));
        }
      }

      System.out.println("outages under catena up --ha (kill -9, one at a time):");
      System.out.printf("  %-28s %18s %22s%n", "killed", "longest write stall", "longest namespace stall");
      for (Outage o : outages) {
        System.out.printf("  %-28s %15d ms %19d ms%n", o.fault(), o.writeStallMs(), o.namespaceStallMs());
      }
      System.out.printf("  %d files written, %d namespace operations, %d reads checked; errors: %d write, %d"
              + " namespace%n", log.writeAcks.size(), log.namespaceAcks.size(), log.readsChecked,
          log.writeErrors.size(), log.namespaceErrors.size());
      log.writeErrors.forEach(e -> System.out.println("  write error: " + e));
      log.namespaceErrors.forEach(e -> System.out.println("  namespace error: " + e));

      assertEquals(List.of(), log.readFailures, "reads of acknowledged files must never fail");
      assertTrue(log.readsChecked > 0, "the reader checked nothing");
      for (Outage o : outages) {
        assertTrue(o.writeStallMs() <= RESUME_LIMIT.toMillis(), "writes resumed too late after " + o);
        assertTrue(o.namespaceStallMs() <= RESUME_LIMIT.toMillis(), "namespace operations resumed too late after "
            + o);
      }

      // Every acknowledged byte is there.
      for (Map.Entry<Integer, Integer> f : log.writtenFiles.entrySet()) {
        Path p = data.resolve(fileName(f.getKey()));
        assertArrayEquals(content(f.getValue()), Files.readAllBytes(p), p + " differs from what was acknowledged");
      }
      // Every acknowledged namespace operation is there, and nothing else (names whose last operation failed
      // with an unknown outcome may be either way).
      Set<String> listed = new TreeSet<>();
      try (Stream<Path> s = Files.list(ns)) {
        s.forEach(p -> listed.add(p.getFileName().toString()));
      }
      Set<String> expected = new TreeSet<>(log.expectedNames);
      listed.removeAll(log.uncertainNames);
      expected.removeAll(log.uncertainNames);
      assertEquals(expected, listed, "the directory differs from the acknowledged creates, renames and removes");

      Launcher.Result fsck = c.fsck();
      assertEquals(0, fsck.exitCode(), "fsck after the faults: " + fsck.out() + fsck.err());

      etcdUnavailable_metadataFailsClearlyAndRecovers(c);
      c.stop();
    }

    Launcher.Result single = Launcher.run("up", "--data", cluster.toString(), "--no-mount");
    assertEquals(2, single.exitCode(), "a plain `up` on a cluster that moved to etcd is refused: " + single.out());
    assertTrue(single.err().contains("start it with --ha"), single.err());
    // `up --ha` again on the same directory: etcd, mgmtd, meta and storage come back with every file.
    try (HaCluster again = HaCluster.start(cluster)) {
      assertArrayEquals(blob, Files.readAllBytes(again.mnt.resolve("project/run-1/weights.bin")));
      for (Map.Entry<Integer, Integer> f : log.writtenFiles.entrySet()) {
        assertArrayEquals(content(f.getValue()), Files.readAllBytes(again.mnt.resolve("data/" + fileName(f.getKey()))),
            "acknowledged before the restart");
      }
      again.stop();
    }
  }

  /**
   * kill -9 of the process named by {@code fragment} while the workload runs; waits until writes and namespace
   * operations resumed, the supervisor restarted the process and the cluster is healthy again.
   */
  private static Outage fault(HaCluster c, Log log, String what, String fragment) throws Exception {
    long before = Log.now();
    long pid = c.kill(fragment);
    long killedAt = Log.now();
    awaitAcksAfter(log.writeAcks, killedAt, 3, Duration.ofSeconds(90), what);
    awaitAcksAfter(log.namespaceAcks, killedAt, 3, Duration.ofSeconds(90), what);
    c.awaitRestarted(fragment, pid, Duration.ofSeconds(60));
    c.awaitHealthy(Duration.ofSeconds(120));
    // Measured after recovery: the gaps that span the kill, from the last success before it.
    long until = Log.now();
    return new Outage(what, longestGap(log.writeAcks, before, killedAt, until),
        longestGap(log.namespaceAcks, before, killedAt, until));
  }

  /** The longest time between consecutive successes that ends after {@code killedAt} and starts before {@code until}. */
  private static long longestGap(ConcurrentSkipListMap<Long, String> acks, long before, long killedAt, long until) {
    Long prev = acks.floorKey(killedAt);
    long start = prev != null ? prev : before;
    long longest = 0;
    for (Long t : acks.subMap(killedAt, true, until, true).keySet()) {
      longest = Math.max(longest, t - start);
      start = t;
    }
    return longest;
  }

  private static void awaitAcks(Log log, int n, Duration timeout) throws InterruptedException {
    awaitAcksAfter(log.writeAcks, 0, n, timeout, "start");
    awaitAcksAfter(log.namespaceAcks, 0, n, timeout, "start");
  }

  private static void awaitAcksAfter(ConcurrentSkipListMap<Long, String> acks, long after, int n, Duration timeout,
      String what) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (acks.tailMap(after, false).size() < n) {
      assertTrue(System.nanoTime() < end, "the workload made no progress within " + timeout + " after: " + what);
      Thread.sleep(50); // polling the workload's progress with a deadline
    }
  }

  /** etcd as a whole stops answering: a metadata call fails with an errno, not a hang, and works once it is back. */
  private static void etcdUnavailable_metadataFailsClearlyAndRecovers(HaCluster c) throws Exception {
    List<ProcessHandle> members = new ArrayList<>();
    for (int m = 1; m <= 3; m++) {
      members.add(c.process(c.etcdMember(m), -1).orElseThrow());
    }
    signal("STOP", members);
    Path probe = c.mnt.resolve("probe-while-etcd-is-down");
    long start = System.nanoTime();
    IOException failure = null;
    try {
      Files.createFile(probe);
    } catch (IOException e) {
      failure = e;
    } finally {
      signal("CONT", members);
    }
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    System.out.printf("etcd unavailable: create failed after %d ms with %s%n", tookMs, failure);
    assertNotNull(failure, "a create must fail while etcd does not answer");
    assertTrue(String.valueOf(failure.getMessage()).contains("Input/output error"),
        "EIO after meta.client.deadline, as NFS soft mounts and mfsmount answer: " + failure);
    assertTrue(tookMs >= META_DEADLINE.toMillis() - 1000 && tookMs < META_DEADLINE.toMillis() + 20_000,
        "the failure must come at the call's deadline, not much later: " + tookMs);

    // Back: metadata works again (the first calls may still meet an election).
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        Files.deleteIfExists(probe);
        Files.createFile(probe);
        break;
      } catch (IOException e) {
        assertTrue(System.nanoTime() < end, "metadata did not recover within 60 s of etcd's return: " + e);
        Thread.sleep(200); // polling recovery with a deadline
      }
    }
    assertTrue(Files.exists(probe));
  }

  private static void signal(String sig, List<ProcessHandle> processes) throws Exception {
    for (ProcessHandle p : processes) {
      Process k = new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid())).start();
      assertTrue(k.waitFor(10, TimeUnit.SECONDS) && k.exitValue() == 0, "kill -" + sig + " " + p.pid());
    }
  }

  // ---- the workload

  static String fileName(int i) {
    return String.format("w-%05d", i);
  }

  static byte[] content(int i) {
    byte[] b = new byte[FILE_BYTES];
    new Random(i * 7919L + 1).nextBytes(b);
    return b;
  }

  /**
   * Writes file after file (64 KiB writes, fsync, close), cycling over {@link #SLOTS} names; a file is acknowledged
   * once close returned. Paced (20 ms between files) so the workload leaves the two cores to the cluster.
   */
  private static void writer(Path dir, Log log, AtomicBoolean running) {
    int i = 0;
    while (running.get()) {
      int slot = i % SLOTS;
      byte[] b = content(i);
      Path p = dir.resolve(fileName(slot));
      log.slotLocks[slot].writeLock().lock();
      try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        for (int off = 0; off < b.length; off += 64 * 1024) {
          ByteBuffer buf = ByteBuffer.wrap(b, off, Math.min(64 * 1024, b.length - off));
          while (buf.hasRemaining()) {
            ch.write(buf);
          }
        }
        ch.force(true);
        log.writtenFiles.put(slot, i);
      } catch (IOException e) {
        log.writeErrors.add(Log.now() + " " + p.getFileName() + " generation " + i + ": " + e);
        log.writtenFiles.remove(slot); // unknown content until a later write of this slot succeeds
        continue; // the same generation again
      } finally {
        log.slotLocks[slot].writeLock().unlock();
      }
      log.ack(log.writeAcks, p.getFileName() + " generation " + i);
      i++;
      pace(20);
    }
  }

  private static void pace(long millis) {
    try {
      Thread.sleep(millis); // pacing the workload, not waiting for anything
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Creates n-I, renames it to r-I, and removes every third r-I again; each acknowledged step updates the expected
   * names. A step that failed leaves its names uncertain (its outcome is unknown to the caller).
   */
  private static void namespaceLoop(Path dir, Log log, AtomicBoolean running) {
    for (int i = 0; running.get(); i++) {
      String created = "n-" + i;
      String renamed = "r-" + i;
      try {
        Files.write(dir.resolve(created), Integer.toString(i).getBytes(), StandardOpenOption.CREATE_NEW);
        log.expectedNames.add(created);
        log.ack(log.namespaceAcks, "create " + created);
        Files.move(dir.resolve(created), dir.resolve(renamed), StandardCopyOption.ATOMIC_MOVE);
        log.expectedNames.remove(created);
        log.expectedNames.add(renamed);
        log.ack(log.namespaceAcks, "rename " + renamed);
        if (i % 3 == 0) {
          Files.delete(dir.resolve(renamed));
          log.expectedNames.remove(renamed);
          log.ack(log.namespaceAcks, "remove " + renamed);
        }
      } catch (IOException e) {
        log.namespaceErrors.add(Log.now() + " step " + i + ": " + e);
        log.uncertainNames.add(created);
        log.uncertainNames.add(renamed);
      }
    }
  }

  /** Reads random acknowledged files and compares them with what was written; any failure is recorded. */
  private static void reader(Path dir, Log log, AtomicBoolean running) {
    while (running.get()) {
      int slot = ThreadLocalRandom.current().nextInt(SLOTS);
      if (!log.slotLocks[slot].readLock().tryLock()) {
        continue; // being rewritten now
      }
      try {
        Integer generation = log.writtenFiles.get(slot);
        if (generation == null) {
          continue;
        }
        Path p = dir.resolve(fileName(slot));
        try {
          byte[] got = Files.readAllBytes(p);
          if (!java.util.Arrays.equals(content(generation), got)) {
            log.readFailures.add(Log.now() + " " + p.getFileName() + ": content differs from generation "
                + generation + " (" + got.length + " bytes)");
          }
          log.readsChecked++;
        } catch (NoSuchFileException e) {
          log.readFailures.add(Log.now() + " " + p.getFileName() + ": acknowledged file missing");
        } catch (IOException e) {
          log.readFailures.add(Log.now() + " " + p.getFileName() + ": " + e);
        }
      } finally {
        log.slotLocks[slot].readLock().unlock();
      }
      pace(20);
    }
  }
}
