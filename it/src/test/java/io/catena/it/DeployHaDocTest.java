package io.catena.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs docs/deploy-ha.md: every {@code bash} block, in order, in one shell, exactly as written, with only the
 * variables of its first block pointed at 127.0.0.1, free ports and a temporary directory: a three-member etcd
 * cluster, two mgmtd and two meta on it, three storage processes, a mount; then the primary mgmtd and a meta server
 * are killed with -9 and the file system goes on.
 */
class DeployHaDocTest {
  @TempDir Path tmp;

  @Test
  void theDocumentedHaDeployment_runsAsWritten_andSurvivesThePrimaryMgmtdAndAMetaServer() throws Exception {
    List<String> blocks = DeployDocTest.bashBlocks(Files.readString(Launcher.ROOT.resolve("docs/deploy-ha.md")));
    assertTrue(blocks.size() >= 9, "docs/deploy-ha.md lost its steps: " + blocks.size() + " bash blocks");
    Path base = tmp.resolve("base");
    Path mnt = tmp.resolve("mnt");
    StringBuilder script = new StringBuilder("set -euo pipefail\n");
    script.append(blocks.getFirst());
    // The first block is the operator's to edit; this is the edit for three "hosts" on one machine in a test.
    script.append("export CATENA=").append(Launcher.ROOT.resolve("catena")).append('\n')
        .append("export BASE=").append(base).append('\n')
        .append("export HOST_A=127.0.0.1 HOST_B=127.0.0.1 HOST_C=127.0.0.1\n");
    for (String v : List.of("ETCD_A", "ETCD_B", "ETCD_C", "PEER_A", "PEER_B", "PEER_C")) {
      script.append("export ").append(v).append("=127.0.0.1:").append(DeployDocTest.freePort()).append('\n');
    }
    for (String v : List.of("MGMTD_A", "MGMTD_B", "META_A", "META_B", "STORAGE_A", "STORAGE_B", "STORAGE_C")) {
      script.append("export ").append(v).append("=tcp://127.0.0.1:").append(DeployDocTest.freePort()).append('\n');
    }
    script.append("export MNT=").append(mnt).append('\n');
    for (String b : blocks.subList(1, blocks.size())) {
      script.append(b);
    }
    Path file = tmp.resolve("deploy-ha.sh");
    Files.writeString(file, script);
    Process p = new ProcessBuilder("bash", file.toString()).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out;
    try {
      out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(10, TimeUnit.MINUTES), "the documented HA deployment did not finish in 10 minutes");
    } finally {
      DeployDocTest.cleanUp(base, List.of(mnt));
    }
    assertEquals(0, p.exitValue(), "a documented command failed; output:\n" + out + DeployDocTest.logs(base));
    assertTrue(out.contains("written before the failover\n"), out);
    assertTrue(out.contains("written after the failover\n"), out);
    assertTrue(out.matches("(?s).*mgmtd [12] is primary now.*"), out);
    assertTrue(out.contains("role          mgmtd 1, primary") || out.contains("role          mgmtd 1, standby"),
        out + DeployDocTest.logs(base));
    assertTrue(out.matches("(?s).*clean: \\d+ inodes.*"), "fsck after the failover:\n" + out);
  }
}
