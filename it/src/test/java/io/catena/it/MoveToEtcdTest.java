package io.catena.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outgrowing one machine: a {@code catena up} cluster with files is stopped and started again with
 * {@code up --ha --move-to-etcd}, which copies its store into a new three-member etcd cluster (verified key by key);
 * every file is there, fsck is clean, and a later plain {@code up --ha} on the same directory brings it all back.
 */
class MoveToEtcdTest {

  @Test
  void singleMachineCluster_movedOntoEtcd_keepsEveryFile_andRestartsOnEtcd(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("cluster");
    byte[] blob = new byte[5 * 1024 * 1024 + 77];
    new Random(12).nextBytes(blob);
    try (SingleMachineCluster c = SingleMachineCluster.start(data)) {
      Files.createDirectories(c.mnt.resolve("project/run-1"));
      Files.write(c.mnt.resolve("project/run-1/weights.bin"), blob);
      Files.writeString(c.mnt.resolve("project/notes.txt"), "made on one machine\n");
      Files.createSymbolicLink(c.mnt.resolve("project/latest"), Path.of("run-1"));
      c.stop();
    }

    try (HaCluster ha = HaCluster.start(data, "--move-to-etcd")) {
      assertTrue(ha.up.output().matches("(?s).*moved \\d+ keys from \\S+control/kv into etcd://\\S+ \\(SHA-256 "
          + "[0-9a-f]{64}, verified\\).*"), ha.up.output());
      assertFalse(Files.exists(data.resolve("control/kv")), "the embedded store is out of the way");
      assertTrue(Files.isDirectory(data.resolve("control/kv.moved-to-etcd")), "and kept");
      assertArrayEquals(blob, Files.readAllBytes(ha.mnt.resolve("project/latest/weights.bin")));
      assertEquals("made on one machine\n", Files.readString(ha.mnt.resolve("project/notes.txt")));
      Files.writeString(ha.mnt.resolve("project/notes-ha.txt"), "made on etcd\n");
      Launcher.Result fsck = ha.fsck();
      assertEquals(0, fsck.exitCode(), fsck.out() + fsck.err());
      ha.stop();
    }

    Launcher.Result single = Launcher.run("up", "--data", data.toString(), "--no-mount");
    assertEquals(2, single.exitCode(), "a plain `up` on a cluster that moved to etcd is refused: " + single.out());
    assertTrue(single.err().contains("start it with --ha"), single.err());

    try (HaCluster again = HaCluster.start(data)) {
      assertArrayEquals(blob, Files.readAllBytes(again.mnt.resolve("project/run-1/weights.bin")));
      assertEquals("made on etcd\n", Files.readString(again.mnt.resolve("project/notes-ha.txt")));
      again.stop();
    }
  }
}
