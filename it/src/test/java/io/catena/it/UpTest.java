package io.catena.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code catena up} through the real launcher: a replicated file system mounted, stopped and brought back. */
class UpTest {

  static byte[] sha256(Path f) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    try (var in = Files.newInputStream(f)) {
      byte[] buf = new byte[1 << 20];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
    return md.digest();
  }

  @Test
  void filesSurviveStopAndRestartAndStatusAndDownWork(@TempDir Path data) throws Exception {
    byte[] content = new byte[9 * 1024 * 1024 + 4321];
    new Random(1).nextBytes(content);
    try (SingleMachineCluster c = SingleMachineCluster.start(data)) {
      Launcher.Result status = Launcher.run("status", "--address", c.controlAddress);
      assertEquals(0, status.exitCode(), status.err());
      assertTrue(status.out().contains("catena.mgmtd.Mgmtd(1)") && status.out().contains("catena.meta.Meta(2)"),
          "the control process serves mgmtd and meta:\n" + status.out());
      Files.createDirectories(c.mnt.resolve("project/data"));
      Files.write(c.mnt.resolve("project/data/blob.bin"), content);
      Files.writeString(c.mnt.resolve("project/readme.txt"), "kept across restarts\n");

      // A second `up` on the same data directory is refused, naming the directory; the first keeps running.
      Launcher.Result second = Launcher.run(Duration.ofMinutes(2), Map.of(), "up", "--data", data.toString(),
          "--listen", "tcp://127.0.0.1:0", "--no-mount");
      assertEquals(1, second.exitCode(), second.out());
      assertTrue(second.err().contains(data.toString()), second.err());
      assertTrue(c.up.process.isAlive());
      c.stop();
    }
    try (SingleMachineCluster again = SingleMachineCluster.start(data)) {
      assertArrayEquals(content, Files.readAllBytes(again.mnt.resolve("project/data/blob.bin")));
      assertEquals("kept across restarts\n", Files.readString(again.mnt.resolve("project/readme.txt")));
      Launcher.Result down = Launcher.run("down", "--data", data.toString());
      assertEquals(0, down.exitCode(), down.err());
      assertTrue(again.up.process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
      assertTrue(!SingleMachineCluster.mounted(again.mnt));
    }
  }
}
