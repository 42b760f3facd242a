package io.catena.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mount's control directory /.catena-virt through the real launcher ({@code catena up}: mgmtd + meta on RocksDB,
 * three storage processes, the {@code catena mount} daemon), driven with shell tools as an operator would.
 */
class ControlDirTest {
  @TempDir
  static Path tmp;
  static SingleMachineCluster cluster;
  static Path mnt;
  static Path virt;

  record Sh(int exit, String out) {}

  @BeforeAll
  static void up() throws Exception {
    cluster = SingleMachineCluster.start(tmp.resolve("data"));
    mnt = cluster.mnt;
    virt = mnt.resolve(".catena-virt");
  }

  @AfterAll
  static void down() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Runs {@code script} with sh; stdout and stderr together. */
  static Sh sh(String script) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("sh", "-c", script).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.toHandle().destroyForcibly();
      throw new AssertionError("timed out: " + script);
    }
    return new Sh(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  static String ok(String script) throws IOException, InterruptedException {
    Sh r = sh(script);
    assertEquals(0, r.exit(), script + ":\n" + r.out());
    return r.out();
  }

  @Test
  void controlDirIsHiddenFromLsButCatShowsTheMountsConfiguration() throws Exception {
    ok("mkdir -p " + mnt + "/plain");
    String ls = ok("ls -a " + mnt);
    assertTrue(ls.contains("plain"), ls);
    assertFalse(ls.contains(".catena-virt"), ls);
    String conf = ok("cat " + virt + "/get-conf");
    assertTrue(conf.contains("fuse.attr_timeout = \"1s\"  # default"), conf);
    assertTrue(conf.contains("rpc.auth_token"), conf);
    assertFalse(conf.contains(Files.readString(cluster.adminToken()).trim()), "the token is redacted");
  }

  @Test
  void echoIntoSetConfChangesLiveKeysAndRefusesTheRest() throws Exception {
    ok("echo 'client.write_behind = \"2MiB\"' > " + virt + "/set-conf");
    assertTrue(ok("cat " + virt + "/get-conf").contains("client.write_behind = \"2MiB\"  # set-conf by uid 0"));
    // A file written with the new window reads back whole.
    ok("seq 1 300000 > " + mnt + "/seq.txt && seq 1 300000 | cmp - " + mnt + "/seq.txt");
    Sh refused = sh("/bin/echo 'fuse.max_write = 64KiB' > " + virt + "/set-conf");
    assertNotEquals(0, refused.exit());
    assertTrue(refused.out().contains("Invalid argument"), refused.out());
    Sh unknown = sh("/bin/echo 'no.such.key = 1' > " + virt + "/set-conf");
    assertTrue(unknown.out().contains("Invalid argument"), unknown.out());
    assertTrue(ok("cat " + virt + "/get-conf").contains("fuse.max_write = \"1MiB\"  # default"));
  }

  @Test
  void lnIntoRmRfRemovesADirectoryTreeOnTheServer() throws Exception {
    ok("mkdir -p " + mnt + "/big/a/b && for i in $(seq 1 50); do echo $i > " + mnt + "/big/a/b/f$i; done && "
        + "mkdir " + mnt + "/big/keep");
    ok("ls -R " + mnt + "/big > /dev/null");
    ok("ln -s " + mnt + "/big/a " + virt + "/rm-rf");
    assertEquals("keep\n", ok("ls " + mnt + "/big"));
    assertFalse(Files.exists(mnt.resolve("big/a/b/f1")));
    Sh missing = sh("ln -s " + mnt + "/big/a " + virt + "/rm-rf");
    assertNotEquals(0, missing.exit());
    assertTrue(missing.out().contains("No such file or directory"), missing.out());
    Sh other = sh("touch " + virt + "/x");
    assertTrue(other.out().contains("Operation not permitted"), other.out());
  }
}
