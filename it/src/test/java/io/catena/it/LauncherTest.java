package io.catena.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's contract: help, version, precise errors with usage, configuration tools. */
class LauncherTest {

  @Test
  void helpListsTheCommandsAndExitsZero() {
    Launcher.Result r = Launcher.run("--help");
    assertEquals(0, r.exitCode(), r.err());
    for (String cmd : new String[] {"up", "status", "config", "bench", "version"}) {
      assertTrue(r.out().contains(cmd), "help mentions " + cmd + ":\n" + r.out());
    }
  }

  @Test
  void versionNamesCatenaAndTheJdk25Runtime() {
    Launcher.Result r = Launcher.run("version");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().startsWith("catena "), r.out());
    assertTrue(r.out().contains("java 25"), "the launcher must select JDK 25:\n" + r.out());
  }

  @Test
  void unknownCommandIsNamedAndUsageShownWithExitTwo() {
    Launcher.Result r = Launcher.run("frobnicate");
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("frobnicate"), r.err());
    assertTrue(r.err().contains("Usage: catena"), r.err());
  }

  @Test
  void badFlagIsNamedAndUsageShownWithExitTwo() {
    Launcher.Result r = Launcher.run("config", "defaults", "control", "--no-such-flag");
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("--no-such-flag"), r.err());
    assertTrue(r.err().contains("Usage:"), r.err());
  }

  @Test
  void unknownRoleListsTheKnownOnes() {
    Launcher.Result r = Launcher.run("config", "defaults", "nosuchrole");
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("nosuchrole"), r.err());
    assertTrue(r.err().contains("control"), r.err());
  }

  @Test
  void configDefaultsPrintEveryKeyWithItsEnvironmentVariable() {
    Launcher.Result r = Launcher.run("config", "defaults", "control");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("[rpc]"), r.out());
    assertTrue(r.out().contains("[kv"), r.out());
    assertTrue(r.out().contains("CATENA_KV_ENGINE_URL"), r.out());
  }

  @Test
  void configCheckNamesFileKeyAndBadValue(@TempDir Path dir) throws Exception {
    Path bad = dir.resolve("control.toml");
    Files.writeString(bad, "[rpc]\nconnect_timeout = \"soon\"\n");
    Launcher.Result r = Launcher.run("config", "check", "control", "--config", bad.toString());
    assertEquals(1, r.exitCode(), r.out());
    assertTrue(r.err().contains(bad.toString()), r.err());
    assertTrue(r.err().contains("rpc.connect_timeout"), r.err());
    assertTrue(r.err().contains("soon"), r.err());
  }

  @Test
  void environmentOverridesAreValidatedAndShownWithTheirSource() {
    Launcher.Result ok = Launcher.run(Duration.ofMinutes(3),
        Map.of("CATENA_RPC_CONNECT_TIMEOUT", "250ms"), "config", "check", "control");
    assertEquals(0, ok.exitCode(), ok.err());
    assertTrue(ok.out().contains("rpc.connect_timeout = \"250ms\"  (env CATENA_RPC_CONNECT_TIMEOUT)"), ok.out());
    Launcher.Result bad = Launcher.run(Duration.ofMinutes(3),
        Map.of("CATENA_RPC_CONNECT_TIMEOUT", "-3s"), "config", "check", "control");
    assertEquals(1, bad.exitCode());
    assertTrue(bad.err().contains("env CATENA_RPC_CONNECT_TIMEOUT"), bad.err());
  }

  @Test
  void placementWritesTheFilesTheAdminCommandsConsumeAndExplainsInfeasibleParameters(@TempDir Path dir)
      throws Exception {
    Path out = dir.resolve("p");
    Launcher.Result r = Launcher.run("admin", "placement", "--nodes", "5", "--targets-per-disk", "3",
        "--replication", "3", "--output", out.toString());
    assertEquals(0, r.exitCode(), r.err());
    assertEquals(16, Files.readAllLines(out.resolve("targets.csv")).size(), "a header and 5 x 3 targets");
    assertEquals(6, Files.readAllLines(out.resolve("chains.csv")).size(), "a header and 5 chains");
    assertTrue(Files.readAllLines(out.resolve("chain-table.csv")).get(0).startsWith("table_id,chain_id"));
    Launcher.Result bad = Launcher.run("admin", "placement", "--nodes", "5", "--targets-per-disk", "2",
        "--replication", "3", "--output", dir.resolve("q").toString());
    assertEquals(1, bad.exitCode(), bad.out());
    assertTrue((bad.out() + bad.err()).contains("nearest"), bad.out() + bad.err());
  }
}
