package io.catena.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15's image: {@code dist/image/build-image.sh} builds the OCI image from scratch with buildah, and podman (host
 * network, 127.0.0.1 only) runs a cluster from it the way docs/deploy.md does by hand: init-cluster, a control
 * container, three storage containers, the placement and chains, and a mount container with /dev/fuse whose mount
 * propagates to the host. A file written through it reads back; a storage container is killed and it still reads.
 * Prints the image's size and the control container's start-up time.
 */
class ContainerImageTest {
  private static final String IMAGE = "localhost/catena-test:" + ProcessHandle.current().pid();
  private static final String PREFIX = "catena-it-" + ProcessHandle.current().pid() + "-";

  @TempDir Path tmp;

  @Test
  void imageBuildsFromScratch_andRunsAClusterWithAMountThatSurvivesAStorageKill() throws Exception {
    for (String tool : List.of("/usr/bin/buildah", "/usr/bin/podman", "/usr/sbin/runc")) {
      assertTrue(Files.isExecutable(Path.of(tool)), tool + " is missing: apt-get install buildah podman runc"
          + " (.ci/run does)");
    }
    Path conf = tmp.resolve("containers.conf");
    // crun fails here on setrlimit and on the hybrid cgroup layout: runc with cgroupfs and no default ulimits.
    Files.writeString(conf, "[containers]\ndefault_ulimits = []\n");
    long t0 = System.nanoTime();
    Result build = run(conf, Duration.ofMinutes(10), List.of(Launcher.ROOT.resolve("dist/image/build-image.sh")
        .toString(), IMAGE));
    assertEquals(0, build.code, build.out);
    long buildSec = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
    Path data = Files.createDirectories(tmp.resolve("data"));
    Path mnt = Files.createDirectories(data.resolve("mnt"));
    int control = DeployDocTest.freePort();
    String mgmtd = "tcp://127.0.0.1:" + control;
    List<String> admin = List.of("--mgmtd", mgmtd, "--cluster-id", "ctr", "--token-file", "/data/admin.token");
    try {
      // The mount inside the container shows on the host only through a shared mount point.
      assertEquals(0, run(conf, Duration.ofSeconds(30), List.of("mount", "--bind", mnt.toString(), mnt.toString()))
          .code);
      assertEquals(0, run(conf, Duration.ofSeconds(30), List.of("mount", "--make-shared", mnt.toString())).code);

      podman(conf, data, false, null, "admin", "init-cluster", "--kv", "rocksdb:///data/control/kv", "--cluster-id",
          "ctr", "--token-file", "/data/admin.token");
      long s0 = System.nanoTime();
      podman(conf, data, true, "control", "control", "--data", "/data/control", "--listen", mgmtd, "--cluster-id",
          "ctr", "--token-file", "/data/admin.token");
      awaitStatus(conf, data, mgmtd);
      long startMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - s0);
      for (int i = 1; i <= 3; i++) {
        Files.createDirectories(data.resolve("storage-" + i));
        podman(conf, data, true, "storage-" + i, "storage", "--node-id", Integer.toString(10000 + i), "--listen",
            "tcp://127.0.0.1:" + DeployDocTest.freePort(), "--disk", "/data/storage-" + i, "--mgmtd", mgmtd,
            "--cluster-id", "ctr", "--token-file", "/data/admin.token");
      }
      podman(conf, data, false, null, "admin", "placement", "--nodes", "3", "--disks-per-node", "1",
          "--targets-per-disk", "2", "--replication", "3", "--node-id-begin", "10001", "--output", "/data/placement");
      awaitStorageNodes(conf, data, admin, 3);
      for (String step : List.of("create-targets", "upload-chains", "upload-chain-table")) {
        List<String> args = new ArrayList<>(List.of("admin", step));
        args.addAll(admin);
        args.addAll(List.of("--placement", "/data/placement"));
        podman(conf, data, false, null, args.toArray(String[]::new));
      }
      List<String> health = new ArrayList<>(List.of("admin", "health"));
      health.addAll(admin);
      health.addAll(List.of("--wait", "--wait-timeout", "2min"));
      podman(conf, data, false, null, health.toArray(String[]::new));

      List<String> mount = new ArrayList<>(List.of("mount", "/mnt/catena"));
      mount.addAll(admin);
      podmanMount(conf, data, mnt, mount);
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (!SingleMachineCluster.mounted(mnt)) {
        assertTrue(System.nanoTime() < end, "the mount container's mount never reached the host: "
            + logs(conf, "mount"));
        Thread.sleep(200); // polling /proc/mounts with a deadline
      }

      byte[] content = new byte[3 * 1024 * 1024 + 17];
      new Random(15).nextBytes(content);
      Files.write(mnt.resolve("from-the-host.bin"), content);
      assertArrayEquals(content, Files.readAllBytes(mnt.resolve("from-the-host.bin")));
      assertEquals(0, run(conf, Duration.ofSeconds(60), List.of("podman", "--runtime", "runc", "--cgroup-manager=cgroupfs",
          "kill", PREFIX + "storage-2")).code);
      Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3\n"); // the next read must come from storage
      assertArrayEquals(content, Files.readAllBytes(mnt.resolve("from-the-host.bin")),
          "the file reads from the remaining replicas after a storage container was killed");

      String size = run(conf, Duration.ofSeconds(30), List.of("podman", "images", "--format", "{{.Size}}", IMAGE))
          .out.trim();
      System.out.printf("catena image: %s, built in %d s; control container answers %d ms after podman run%n", size,
          buildSec, startMs);
    } finally {
      run(conf, Duration.ofMinutes(2), List.of("podman", "--runtime", "runc", "--cgroup-manager=cgroupfs", "rm", "-f",
          "-t", "5", PREFIX + "mount", PREFIX + "storage-1", PREFIX + "storage-2", PREFIX + "storage-3",
          PREFIX + "control"));
      run(conf, Duration.ofSeconds(30), List.of("umount", "-l", mnt.toString()));
      run(conf, Duration.ofSeconds(30), List.of("umount", "-l", mnt.toString()));
      run(conf, Duration.ofMinutes(1), List.of("podman", "rmi", "-f", IMAGE));
    }
  }

  /** Runs the image: detached with a name, or to completion (which must succeed). */
  private static void podman(Path conf, Path data, boolean detached, String name, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("podman", "--runtime", "runc", "--cgroup-manager=cgroupfs", "run",
        "--network", "host", "-v", data + ":/data"));
    cmd.addAll(detached ? List.of("-d", "--name", PREFIX + name) : List.of("--rm"));
    cmd.add(IMAGE);
    cmd.addAll(List.of(args));
    Result r = run(conf, Duration.ofMinutes(3), cmd);
    assertEquals(0, r.code, String.join(" ", args) + ":\n" + r.out);
  }

  private static void podmanMount(Path conf, Path data, Path mnt, List<String> args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("podman", "--runtime", "runc", "--cgroup-manager=cgroupfs", "run",
        "-d", "--name", PREFIX + "mount", "--network", "host", "--device", "/dev/fuse", "--cap-add", "SYS_ADMIN",
        "-v", data + ":/data", "--mount", "type=bind,source=" + mnt + ",destination=/mnt/catena,"
            + "bind-propagation=rshared", IMAGE));
    cmd.addAll(args);
    Result r = run(conf, Duration.ofMinutes(2), cmd);
    assertEquals(0, r.code, r.out);
  }

  /** `catena status` from the image, as an orchestrator's readiness probe would run it. */
  private static void awaitStatus(Path conf, Path data, String address) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (true) {
      List<String> cmd = List.of("podman", "--runtime", "runc", "--cgroup-manager=cgroupfs", "run", "--rm",
          "--network", "host", IMAGE, "status", "--address", address);
      if (run(conf, Duration.ofMinutes(1), cmd).code == 0) {
        return;
      }
      assertTrue(System.nanoTime() < end, "the control container never answered: " + logs(conf, "control"));
    }
  }

  private static void awaitStorageNodes(Path conf, Path data, List<String> admin, int n) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (true) {
      List<String> cmd = new ArrayList<>(List.of("podman", "--runtime", "runc", "--cgroup-manager=cgroupfs", "run",
          "--rm", "--network", "host", "-v", data + ":/data", IMAGE, "admin", "list-nodes"));
      cmd.addAll(admin);
      Result r = run(conf, Duration.ofMinutes(1), cmd);
      if (r.out.lines().filter(l -> l.contains(" STORAGE ")).count() >= n) {
        return;
      }
      assertTrue(System.nanoTime() < end, "storage containers did not register: " + r.out);
    }
  }

  private static String logs(Path conf, String name) {
    return run(conf, Duration.ofSeconds(30), List.of("podman", "logs", PREFIX + name)).out;
  }

  private record Result(int code, String out) {}

  private static Result run(Path conf, Duration timeout, List<String> cmd) {
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      pb.environment().put("CONTAINERS_CONF", conf.toString());
      Process p = pb.start();
      p.getOutputStream().close();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        return new Result(-1, "timed out: " + String.join(" ", cmd));
      }
      return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    } catch (IOException e) {
      return new Result(-1, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(-1, "interrupted");
    }
  }
}
