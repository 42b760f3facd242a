package io.catena.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs docs/deploy.md: every {@code bash} block, in order, in one shell, exactly as written, with only the variables
 * of its first block pointed at a temporary directory and free ports on 127.0.0.1. Five storage processes,
 * replication 3, a user, an admin mount and a user mount; then reads what the commands printed.
 */
class DeployDocTest {
  private static final Pattern BASH_BLOCK = Pattern.compile("```bash\\n(.*?)```", Pattern.DOTALL);

  @TempDir Path tmp;

  static List<String> bashBlocks(String markdown) {
    List<String> blocks = new ArrayList<>();
    Matcher m = BASH_BLOCK.matcher(markdown);
    while (m.find()) {
      blocks.add(m.group(1));
    }
    return blocks;
  }

  @Test
  void theDocumentedDeployment_runsAsWritten() throws Exception {
    List<String> blocks = bashBlocks(Files.readString(Launcher.ROOT.resolve("docs/deploy.md")));
    assertTrue(blocks.size() >= 8, "docs/deploy.md lost its steps: " + blocks.size() + " bash blocks");
    Path base = tmp.resolve("base");
    Path mnt = tmp.resolve("mnt");
    StringBuilder script = new StringBuilder("set -euo pipefail\n");
    script.append(blocks.getFirst());
    // The first block is the operator's to edit; this is the edit for a one-host trial in a test.
    script.append("export CATENA=").append(Launcher.ROOT.resolve("catena")).append('\n')
        .append("export BASE=").append(base).append('\n')
        .append("export CONTROL=tcp://127.0.0.1:").append(freePort()).append('\n')
        .append("export STORAGE_PORT_BASE=").append(freePortRun(6)).append('\n')
        .append("export MNT=").append(mnt).append('\n')
        .append("mkdir -p $BASE/logs\n");
    for (String b : blocks.subList(1, blocks.size())) {
      script.append(b);
    }
    Path file = tmp.resolve("deploy.sh");
    Files.writeString(file, script);
    Process p = new ProcessBuilder("bash", file.toString()).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out;
    try {
      out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(8, TimeUnit.MINUTES), "the documented deployment did not finish in 8 minutes");
    } finally {
      cleanUp(base, List.of(mnt, Path.of(mnt + "-alice")));
    }
    assertEquals(0, p.exitValue(), "a documented command failed; output:\n" + out + logs(base));
    assertTrue(out.contains("hello from catena\n"), out);
    assertTrue(out.contains("1000 " + mnt + "/home/alice/notes.txt"), "alice's file is alice's:\n" + out);
    assertTrue(out.contains("refused as expected"), out);
    assertTrue(out.matches("(?s).*chains +10 \\(replication 3, 30 targets\\).*"),
        "placement of 5 nodes x 6 targets, replication 3, makes 10 chains:\n" + out);
    assertTrue(out.contains("chains per node pair  min 3, max 3"), "balanced:\n" + out);
  }

  /**
   * A port free now, below the kernel's ephemeral range (32768 and up here), so an outgoing connection of any process
   * cannot take it before the documented command binds it (a port from {@code new ServerSocket(0)} can be), and never
   * the same one twice in this JVM.
   */
  static int freePort() throws IOException {
    for (int attempt = 0; attempt < 500; attempt++) {
      int port = 20000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(12000);
      if (!HANDED_OUT.add(port)) {
        continue;
      }
      try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        return port;
      } catch (IOException e) {
        // in use: try another
      }
    }
    throw new IOException("no free port in 20000-31999");
  }

  private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** A base port b such that b+1..b+n are free now. */
  private static int freePortRun(int n) throws IOException {
    for (int attempt = 0; attempt < 50; attempt++) {
      int base = 20000 + (int) (Math.random() * 11000); // below the ephemeral range, as freePort
      boolean free = true;
      for (int i = 1; i <= n && free; i++) {
        if (HANDED_OUT.contains(base + i)) {
          free = false;
          break;
        }
        try (ServerSocket s = new ServerSocket(base + i, 1, InetAddress.getLoopbackAddress())) {
          free = s.isBound();
        } catch (IOException e) {
          free = false;
        }
      }
      if (free) {
        for (int i = 1; i <= n; i++) {
          HANDED_OUT.add(base + i);
        }
        return base;
      }
    }
    throw new IOException("no run of " + n + " free ports");
  }

  /** Whatever the script left running (it failed half-way, or its stop step did not finish) goes now. */
  static void cleanUp(Path base, List<Path> mounts) throws Exception {
    List<ProcessHandle> left = ProcessHandle.allProcesses()
        .filter(h -> h.info().commandLine().map(c -> c.contains(base.toString())).orElse(false)).toList();
    left.forEach(ProcessHandle::destroy);
    for (ProcessHandle h : left) {
      try {
        h.onExit().get(60, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        h.destroyForcibly();
      }
    }
    for (Path m : mounts) {
      if (SingleMachineCluster.mounted(m)) {
        Launcher.run(Duration.ofSeconds(30), Map.of(), "umount", m.toString());
      }
    }
  }

  static String logs(Path base) throws IOException {
    StringBuilder sb = new StringBuilder();
    Path dir = base.resolve("logs");
    if (Files.isDirectory(dir)) {
      try (var files = Files.list(dir)) {
        for (Path f : files.sorted().toList()) {
          List<String> lines = Files.readAllLines(f);
          sb.append("\n--- ").append(f.getFileName()).append(" (last 30 lines)\n");
          lines.subList(Math.max(0, lines.size() - 30), lines.size()).forEach(l -> sb.append(l).append('\n'));
        }
      }
    }
    return sb.toString();
  }
}
