package io.catena.bench;

import io.catena.io.CatenaIo;
import io.catena.io.Completion;
import io.catena.io.IoRing;
import io.catena.io.ring.Linux;
import io.catena.io.ring.RingLayout;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code catena bench io}: native ring I/O beside fio, one process each: 4 KiB random reads at queue depth 32 and
 * 1 MiB sequential reads of one file on a Catena mount, through a ring from C (the shipped cio-bench) and from Java
 * (this process), through the mount with fio, and of the same amount of data on a local file system with fio; once
 * cold (caches dropped before every run) and once warm (the storage servers' page caches hold the file). Prints the
 * figures, their ratios and the load average; asserts nothing.
 */
@Command(name = "io", mixinStandardHelpOptions = true,
    description = "Native I/O rings beside fio: 4 KiB random reads at QD32 and 1 MiB sequential reads through a "
        + "ring (C and Java), through the mount (fio) and on a local file system (fio).")
public final class IoBench implements Callable<Integer> {

  @Option(names = "--mount", required = true, description = "A Catena mount point.")
  Path mount;

  @Option(names = "--local", defaultValue = "/var/tmp/catena-bench-io",
      description = "A directory on a local file system for the comparison (default ${DEFAULT-VALUE}).")
  Path local;

  @Option(names = "--size-mib", defaultValue = "1024", description = "File size (default ${DEFAULT-VALUE} MiB).")
  int sizeMib;

  @Option(names = "--seconds", defaultValue = "10", description = "Seconds per run (default ${DEFAULT-VALUE}).")
  int seconds;

  @Option(names = "--seq-depth", defaultValue = "4",
      description = "Ring entries in flight for sequential reads; the mount's readahead keeps fuse.max_readahead "
          + "(4 MiB) in flight (default ${DEFAULT-VALUE}).")
  int seqDepth;

  @Option(names = "--native", description = "Where cio-bench is (default: native/ beside the launcher's archive).")
  Path nativeDir;

  public static void main(String[] args) {
    System.exit(new CommandLine(new IoBench()).execute(args));
  }

  /** One measurement: operations and megabytes (10^6 bytes) per second. */
  record Rate(double iops, double mbps) {}

  @Override
  public Integer call() throws Exception {
    Path file = mount.resolve("bench-io.bin");
    Files.createDirectories(local);
    Path localFile = local.resolve("bench-io.bin");
    long size = (long) sizeMib << 20;
    System.out.printf("io bench: %d MiB files %s and %s, %d s per run; load average %s%n", sizeMib, file, localFile,
        seconds, load());
    fill(file, size);
    fill(localFile, size);
    Path cio = (nativeDir != null ? nativeDir : defaultNative()).resolve("cio-bench");

    List<String[]> rows = new ArrayList<>();
    for (boolean warm : new boolean[] {false, true}) {
      String when = warm ? "warm" : "cold";
      if (warm) {
        System.out.println("warm: reading the file once so the storage servers' page caches hold it");
        cioBench(cio, file, "seq", 1 << 20, 8, false);
      }
      Rate ringRandC = cioBench(cio, file, "rand", 4096, 32, !warm);
      Rate ringRandJava = javaRing(file, true, 4096, 32, !warm);
      Rate mountRand = fio(file, "randread", "4k", 32, true, !warm);
      Rate localRand = fio(localFile, "randread", "4k", 32, true, !warm);
      Rate ringSeqC = cioBench(cio, file, "seq", 1 << 20, seqDepth, !warm);
      Rate ringSeqJava = javaRing(file, false, 1 << 20, seqDepth, !warm);
      Rate mountSeq = fio(file, "read", "1M", 1, false, !warm);
      Rate localSeq = fio(localFile, "read", "1M", 1, false, !warm);
      rows.add(row("4 KiB random read, QD32, " + when + " (IOPS)", ringRandC.iops(), ringRandJava.iops(),
          mountRand.iops(), localRand.iops()));
      rows.add(row("1 MiB sequential read, " + when + " (MB/s)", ringSeqC.mbps(), ringSeqJava.mbps(), mountSeq.mbps(),
          localSeq.mbps()));
    }
    System.out.printf("%n%-40s %10s %11s %11s %11s %10s %10s%n", "test", "ring (C)", "ring (Java)", "mount (fio)",
        "local (fio)", "ring/mount", "ring/local");
    for (String[] r : rows) {
      System.out.printf("%-40s %10s %11s %11s %11s %10s %10s%n", (Object[]) r);
    }
    System.out.printf("cold: caches dropped before every run (storage servers read their chunk files from disk); warm: "
        + "the storage servers' page caches hold the file. Ring sequential reads keep %d MiB in flight; fio reads "
        + "with psync (the mount's readahead) and random reads with libaio --direct=1 (the local disk itself, warm or "
        + "cold). Load average after: %s%n", seqDepth, load());
    return 0;
  }

  private static Path defaultNative() throws Exception {
    Path jar = Path.of(IoBench.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    // dist/target/lib/catena-bench.jar -> dist/target/native
    return jar.getParent().getParent().resolve("native");
  }

  private static String load() throws IOException {
    String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
    return f[0] + " " + f[1] + " " + f[2];
  }

  /** Writes {@code size} bytes of pseudo-random data unless the file already has them. */
  private static void fill(Path file, long size) throws IOException {
    if (Files.exists(file) && Files.size(file) == size) {
      return;
    }
    System.out.printf("writing %s...%n", file);
    byte[] block = new byte[1 << 20];
    Random rnd = new Random(1);
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long at = 0; at < size; at += block.length) {
        rnd.nextBytes(block);
        out.write(block, 0, (int) Math.min(block.length, size - at));
      }
    }
  }

  private static String[] row(String name, double ringC, double ringJava, double mount, double local) {
    return new String[] {name, String.format("%.0f", ringC), String.format("%.0f", ringJava),
        String.format("%.0f", mount), String.format("%.0f", local), String.format("%.2f", ringC / mount),
        String.format("%.2f", ringC / local)};
  }

  private static void dropCaches() throws IOException, InterruptedException {
    new ProcessBuilder("sync").start().waitFor();
    try {
      Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
    } catch (IOException e) {
      System.out.println("note: could not drop caches (" + e.getMessage() + ")");
    }
  }

  private static String run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed:\n" + out);
    }
    return out;
  }

  private Rate cioBench(Path cio, Path file, String mode, int bs, int depth, boolean cold) throws Exception {
    if (cold) {
      dropCaches();
    }
    String out = run(List.of(cio.toString(), mount.toString(), file.toString(), mode, Integer.toString(bs),
        Integer.toString(depth), Integer.toString(seconds)));
    String[] f = out.lines().filter(l -> l.startsWith("result ")).findFirst().orElseThrow().split(" ");
    Rate r = new Rate(Double.parseDouble(f[1]), Double.parseDouble(f[2]));
    System.out.printf("ring (C)    %-4s bs=%-7d QD%-2d %10.0f IOPS %9.1f MB/s%n", mode, bs, depth, r.iops(), r.mbps());
    return r;
  }

  private Rate fio(Path file, String rw, String bs, int depth, boolean direct, boolean cold) throws Exception {
    if (cold) {
      dropCaches();
    }
    List<String> cmd = new ArrayList<>(List.of("fio", "--name=bench", "--filename=" + file, "--rw=" + rw,
        "--bs=" + bs, "--size=" + sizeMib + "M", "--runtime=" + seconds, "--time_based", "--minimal"));
    if (direct) {
      cmd.addAll(List.of("--direct=1", "--ioengine=libaio", "--iodepth=" + depth));
    } else {
      cmd.add("--ioengine=psync");
    }
    String[] f = run(cmd).strip().split(";");
    // Terse format v3: field 7 is read bandwidth in KiB/s, field 8 read IOPS.
    Rate r = new Rate(Double.parseDouble(f[7]), Double.parseDouble(f[6]) * 1024 / 1e6);
    System.out.printf("fio %-24s %-9s %-3s QD%-2d %8.0f IOPS %9.1f MB/s%n", file.getParent(), rw, bs, depth, r.iops(),
        r.mbps());
    return r;
  }

  /** The same workloads as cio-bench through the Java API, from this process's one thread. */
  private Rate javaRing(Path file, boolean random, int bs, int depth, boolean cold) throws Exception {
    if (cold) {
      dropCaches();
    }
    int entries = Integer.highestOneBit(Math.max(1, depth - 1)) << 1;
    long blocks = Files.size(file) / bs;
    Random rnd = new Random(5);
    long done = 0;
    long bytes = 0;
    long next = 0;
    try (CatenaIo io = CatenaIo.create(mount, (long) bs * depth);
         CatenaIo.RegisteredFile f = io.open(file, Linux.O_RDONLY);
         IoRing ring = io.ring(RingLayout.DIRECTION_READ, entries, RingLayout.PRIORITY_NORMAL)) {
      long start = System.nanoTime();
      long end = start + TimeUnit.SECONDS.toNanos(seconds);
      for (int slot = 0; slot < depth; slot++) {
        long b = random ? rnd.nextLong(blocks) : next++ % blocks;
        ring.prepare(f.fd(), b * bs, (long) slot * bs, bs, slot);
      }
      ring.submit();
      int inFlight = depth;
      while (inFlight > 0) {
        boolean refill = System.nanoTime() < end;
        for (Completion c : ring.await(1, Duration.ofSeconds(30))) {
          if (c.result() < 0) {
            throw new IOException("ring read failed: errno " + -c.result());
          }
          done++;
          bytes += c.result();
          inFlight--;
          if (refill) {
            long b = random ? rnd.nextLong(blocks) : next++ % blocks;
            ring.prepare(f.fd(), b * bs, c.userData() * bs, bs, c.userData());
            inFlight++;
          }
        }
        ring.submit();
      }
      double took = (System.nanoTime() - start) / 1e9;
      Rate r = new Rate(done / took, bytes / took / 1e6);
      System.out.printf("ring (Java) %-4s bs=%-7d QD%-2d %10.0f IOPS %9.1f MB/s%n", random ? "rand" : "seq", bs,
          depth, r.iops(), r.mbps());
      return r;
    }
  }
}
