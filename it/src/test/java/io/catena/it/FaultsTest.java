package io.catena.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.common.net.Address;
import io.catena.mgmtd.client.MgmtdClient;
import io.catena.mgmtd.client.MgmtdClientConfig;
import io.catena.mgmtd.client.RoutingCache;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real crashes (kill -9) of a storage node and of the FUSE daemon under a running `catena up`. */
class FaultsTest {

  @Test
  void storageNodeKilledDuringALargeCopy_copyCompletesIntact(@TempDir Path dir) throws Exception {
    Path src = dir.resolve("src.bin");
    byte[] data = new byte[96 * 1024 * 1024];
    new Random(2).nextBytes(data);
    Files.write(src, data);
    try (SingleMachineCluster c = SingleMachineCluster.start(dir.resolve("cluster"))) {
      Path dst = c.mnt.resolve("copy.bin");
      Process cp = new ProcessBuilder("cp", src.toString(), dst.toString()).redirectErrorStream(true).start();
      // Kill the second storage node once the copy is under way.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (cp.isAlive() && (!Files.exists(dst) || Files.size(dst) < 16 * 1024 * 1024)) {
        assertTrue(System.nanoTime() < deadline, "the copy did not start");
        Thread.sleep(20); // polling the copy's progress
      }
      ProcessHandle storage2 = SingleMachineCluster.child(c.data.resolve("storage-2").toString()).orElseThrow();
      List<String> relaunch = new ArrayList<>();
      relaunch.add(storage2.info().command().orElseThrow());
      relaunch.addAll(List.of(storage2.info().arguments().orElseThrow()));
      storage2.destroyForcibly();
      assertTrue(cp.isAlive(), "the storage node must die while the copy is still running");
      assertTrue(cp.waitFor(5, TimeUnit.MINUTES), "the copy must finish after a storage node dies");
      String out = new String(cp.getInputStream().readAllBytes());
      assertEquals(0, cp.exitValue(), out);
      assertArrayEquals(UpTest.sha256(src), UpTest.sha256(dst), "the copy is intact");

      // The node comes back with its data directory and catches up: every chain serves on all replicas again.
      Process back = new ProcessBuilder(relaunch).redirectErrorStream(true)
          .redirectOutput(c.data.resolve("logs/storage-2-restarted.log").toFile()).start();
      try {
        awaitAllServing(c.controlAddress, c.adminToken());
        assertArrayEquals(UpTest.sha256(src), UpTest.sha256(dst), "still intact after the resync");
      } finally {
        back.toHandle().destroy();
        back.waitFor(60, TimeUnit.SECONDS);
      }
    }
  }

  private static void awaitAllServing(String control, Path tokenFile) throws Exception {
    Config cfg = Config.defaults(ConfigSchema.fromHolders(MgmtdClientConfig.class, RpcConfig.class))
        .withUpdates(Map.of("rpc.auth_token_file", tokenFile.toString()), "test", false);
    try (RpcClient rpc = Rpc.client(cfg);
        MgmtdClient mgmtd = new MgmtdClient(rpc, List.of(Address.parse(control)), "catena", cfg);
        RoutingCache routing = new RoutingCache(mgmtd, cfg)) {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
      while (true) {
        RoutingInfo r = routing.refresh(routing.current().version());
        boolean all = !r.chains().isEmpty() && r.chains().stream()
            .allMatch(ch -> ch.targetsIn(PublicTargetState.SERVING).size() == ch.targets().size());
        if (all) {
          return;
        }
        assertTrue(System.nanoTime() < deadline, "chains did not return to all-serving: " + r.chains());
        Thread.sleep(200); // polling mgmtd's routing with a deadline
      }
    }
  }

  @Test
  void fuseDaemonKilled_umountOrMountClearStaleClearsIt_andAFreshMountShowsClosedFiles(@TempDir Path dir) throws Exception {
    try (SingleMachineCluster c = SingleMachineCluster.start(dir.resolve("cluster"))) {
      Files.writeString(c.mnt.resolve("closed.txt"), "written and closed before the crash\n");
      ProcessHandle mount = SingleMachineCluster.child("mount " + c.mnt).orElseThrow();
      mount.destroyForcibly();
      mount.onExit().get(30, TimeUnit.SECONDS);
      // The kernel keeps a dead FUSE connection: the mount point answers ENOTCONN until someone clears it.
      try {
        Files.readAttributes(c.mnt, BasicFileAttributes.class);
        throw new AssertionError("a mount whose daemon died should not answer");
      } catch (java.nio.file.FileSystemException expected) {
        assertTrue(String.valueOf(expected.getMessage()).contains("not connected"), expected.toString());
      }
      Launcher.Result umount = Launcher.run("umount", c.mnt.toString());
      assertEquals(0, umount.exitCode(), umount.err());
      assertTrue(!SingleMachineCluster.mounted(c.mnt));

      try (Launcher.Daemon fresh = new Launcher.Daemon(Map.of(), "mount", c.mnt.toString(), "--mgmtd",
          c.controlAddress, "--token-file", c.adminToken().toString())) {
        fresh.awaitLine(l -> l.startsWith("mounted catena on"), Duration.ofMinutes(2));
        assertEquals("written and closed before the crash\n", Files.readString(c.mnt.resolve("closed.txt")));
        fresh.process.toHandle().destroyForcibly();
        assertTrue(fresh.process.waitFor(60, TimeUnit.SECONDS));
      }
      // A restarted container does it in one step: `mount --clear-stale` detaches the dead mount, then mounts.
      assertTrue(SingleMachineCluster.mounted(c.mnt), "kill -9 leaves the dead mount behind");
      try (Launcher.Daemon again = new Launcher.Daemon(Map.of(), "mount", c.mnt.toString(), "--clear-stale",
          "--mgmtd", c.controlAddress, "--token-file", c.adminToken().toString())) {
        again.awaitLine(l -> l.startsWith("mounted catena on"), Duration.ofMinutes(2));
        assertEquals("written and closed before the crash\n", Files.readString(c.mnt.resolve("closed.txt")));
        again.process.toHandle().destroy();
        assertTrue(again.process.waitFor(60, TimeUnit.SECONDS));
      }
      assertTrue(!SingleMachineCluster.mounted(c.mnt));
    }
  }
}
