package io.catena.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.catena.common.config.ConfigSchema;
import io.catena.common.config.Key;
import io.catena.dist.Main;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code deploy/systemd}: installs the units, the launcher and the archive with {@code install.sh --root} into a
 * staging directory, runs {@code systemd-analyze verify} on every unit there (any warning fails), creates the
 * catena user with {@code systemd-sysusers --root}, starts the installed launcher, and checks what the units and
 * example settings say against the launcher: every ExecStart runs a real command with arguments it accepts, every
 * CATENA_* setting is a key of that role with a valid value. Nothing is started under systemd (the machine's PID 1 is
 * not systemd).
 */
class SystemdUnitsTest {
  private static final Path UNITS = Launcher.ROOT.resolve("deploy/systemd");
  private static final String LAUNCHER = "/opt/catena/catena";
  /** Every unit, template units with an instance: a storage node id and an escaped mount point. */
  private static final List<String> VERIFIED = List.of("catena.target", "catena-control.service",
      "catena-mgmtd.service", "catena-meta.service", "catena-monitor.service", "catena-storage@10001.service",
      "catena-mount@mnt-catena.service");

  record Run(int exit, String output) {}

  private static Run exec(Map<String, String> env, String... cmd) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(2, TimeUnit.MINUTES), String.join(" ", cmd) + " finished");
    return new Run(p.exitValue(), out);
  }

  private static Path stage(Path dir) throws Exception {
    // The launcher builds the archive if the sources changed; install.sh copies the built one.
    Launcher.Result version = Launcher.run(Duration.ofMinutes(5), Map.of(), "version");
    assertEquals(0, version.exitCode(), version.err());
    Path stage = dir.resolve("stage");
    Run install = exec(Map.of(), UNITS.resolve("install.sh").toString(), "--root", stage.toString());
    assertEquals(0, install.exit(), install.output());
    // Units ordered after or wanted by the system's own (network-online.target, remote-fs.target...) need them
    // under the same root.
    Files.createDirectories(stage.resolve("usr/lib/systemd"));
    Run copy = exec(Map.of(), "cp", "-a", "/usr/lib/systemd/system", stage.resolve("usr/lib/systemd").toString());
    assertEquals(0, copy.exit(), copy.output());
    return stage;
  }

  private static Run verify(Path stage, List<String> units) throws Exception {
    Path analyze = Path.of("/usr/bin/systemd-analyze");
    assertTrue(Files.isExecutable(analyze), "systemd-analyze is missing: apt-get install systemd");
    List<String> cmd = new ArrayList<>(List.of(analyze.toString(), "verify", "--man=no", "--root=" + stage));
    cmd.addAll(units);
    return exec(Map.of("SYSTEMD_LOG_COLOR", "0"), cmd.toArray(String[]::new));
  }

  @Test
  void installedUnits_passSystemdAnalyzeVerify_andTheInstalledLauncherRuns(@TempDir Path dir) throws Exception {
    Path stage = stage(dir);
    Run verified = verify(stage, VERIFIED);
    assertEquals(0, verified.exit(), verified.output());
    assertEquals("", verified.output().strip(), "systemd-analyze verify has nothing to say about the units");

    // The check bites: a unit with an unknown setting and a launcher that is not installed is reported.
    Path broken = stage.resolve("etc/systemd/system/catena-broken.service");
    Files.writeString(broken, Files.readString(UNITS.resolve("catena-meta.service"))
        .replace("ExecStart=" + LAUNCHER, "ExecStart=/opt/catena/missing")
        .replace("[Service]", "[Service]\nRestartSteps=3"));
    Run bad = verify(stage, List.of("catena-broken.service"));
    assertTrue(bad.output().contains("Unknown key 'RestartSteps'"), bad.output());
    assertTrue(bad.output().contains("/opt/catena/missing is not executable"), bad.output());
    Files.delete(broken);

    Run users = exec(Map.of(), "systemd-sysusers", "--root=" + stage,
        stage.resolve("usr/lib/sysusers.d/catena.conf").toString());
    assertEquals(0, users.exit(), users.output());
    assertTrue(Files.readAllLines(stage.resolve("etc/passwd")).stream()
        .anyMatch(l -> l.startsWith("catena:") && l.endsWith(":/var/lib/catena:/usr/sbin/nologin")));

    Run installed = exec(Map.of("CATENA_SKIP_BUILD", "1"), stage + LAUNCHER, "version");
    assertEquals(0, installed.exit(), installed.output());
    assertTrue(installed.output().startsWith("catena "), installed.output());
    for (String env : List.of("control", "mgmtd", "meta", "storage-10001", "mount", "monitor")) {
      Path example = stage.resolve("etc/catena/" + env + ".env.example");
      assertTrue(Files.isRegularFile(example), example.toString());
    }
  }

  @Test
  void everyUnit_runsALauncherCommand_withTheSettingsTheRoleNeeds() throws Exception {
    CommandLine launcher = new CommandLine(new Main());
    Map<String, String> roleOf = Map.of("catena-control.service", "control", "catena-mgmtd.service", "mgmtd",
        "catena-meta.service", "meta", "catena-storage@.service", "storage", "catena-mount@.service", "mount",
        "catena-monitor.service", "monitor");
    for (Map.Entry<String, String> e : roleOf.entrySet()) {
      String unit = e.getKey();
      String role = e.getValue();
      Map<String, List<String>> s = parse(UNITS.resolve(unit));
      List<String> exec = List.of(one(s, unit, "Service.ExecStart").replace("%f", "/mnt/catena").split(" "));
      assertEquals(LAUNCHER, exec.getFirst(), unit);
      assertEquals(role, exec.get(1), unit);
      if (launcher.getSubcommands().containsKey(role)) {
        launcher.parseArgs(exec.subList(1, exec.size()).toArray(String[]::new));
      } else {
        assertEquals("monitor", role, unit + ": " + role + " is a launcher command"); // built on another branch
      }
      assertEquals("on-failure", one(s, unit, "Service.Restart"), unit);
      assertEquals("catena.target", one(s, unit, "Unit.PartOf"), unit);
      assertTrue(s.get("Install.WantedBy").getFirst().contains("catena.target"), unit);
      assertTrue(s.get("Unit.After").getFirst().contains("network-online.target"), unit);
      assertTrue(s.get("Unit.Wants").getFirst().contains("network-online.target"), unit);
      assertTrue(s.get("Service.Environment").contains("CATENA_SKIP_BUILD=1"), unit + ": never builds");
      assertTrue(s.get("Service.EnvironmentFile").getFirst().startsWith("/etc/catena/" + role), unit);
      assertTrue(s.containsKey("Service.LimitNOFILE"), unit);
      boolean mount = role.equals("mount");
      assertEquals(mount ? "root" : "catena", one(s, unit, "Service.User"), unit);
      if (mount) {
        assertEquals("infinity", one(s, unit, "Service.LimitMEMLOCK"));
        assertTrue(s.get("Unit.After").getFirst().contains("remote-fs-pre.target"));
        assertEquals("-" + LAUNCHER + " umount %f", one(s, unit, "Service.ExecStopPost"));
        for (String sandbox : List.of("PrivateTmp", "ProtectSystem", "ProtectHome", "PrivateMounts")) {
          assertFalse(s.containsKey("Service." + sandbox), unit + ": " + sandbox + " would hide the mount");
        }
      } else {
        assertEquals("yes", one(s, unit, "Service.NoNewPrivileges"), unit);
        assertEquals("143", one(s, unit, "Service.SuccessExitStatus"), unit);
        if (!role.equals("monitor")) {
          assertEquals("remote-fs-pre.target", one(s, unit, "Unit.Before"), unit + ": mounts of the host stop first");
        }
      }
    }
    assertTrue(parse(UNITS.resolve("catena-meta.service")).get("Unit.After").getFirst()
        .contains("catena-mgmtd.service"), "meta after mgmtd");
    assertTrue(parse(UNITS.resolve("catena-storage@.service")).get("Unit.After").getFirst()
        .contains("catena-mgmtd.service catena-control.service"), "storage after mgmtd");
  }

  @Test
  void exampleSettings_areKeysOfTheirRole_withValidValues() throws Exception {
    Method schema = Class.forName("io.catena.dist.Roles").getDeclaredMethod("schema", CommandLine.class,
        String.class);
    schema.setAccessible(true);
    try (var files = Files.list(UNITS.resolve("env"))) {
      List<Path> envs = files.sorted().toList();
      assertEquals(6, envs.size(), envs::toString);
      for (Path env : envs) {
        String role = env.getFileName().toString().replaceAll("(-\\d+)?\\.env$", "");
        ConfigSchema keys;
        try {
          keys = (ConfigSchema) schema.invoke(null, null, role);
        } catch (java.lang.reflect.InvocationTargetException unknown) {
          assertEquals("monitor", role, env + ": " + unknown.getCause()); // built on another branch
          continue;
        }
        Map<String, Key<?>> byEnv = new HashMap<>();
        keys.keys().forEach(k -> byEnv.put(k.envName(), k));
        Map<String, String> vars = readEnv(env);
        assertTrue(vars.containsKey("CATENA_RPC_AUTH_TOKEN_FILE"), env + ": the token comes from a 0600 file");
        assertFalse(vars.containsKey("CATENA_RPC_AUTH_TOKEN"), env + ": never the token itself");
        for (Map.Entry<String, String> v : vars.entrySet()) {
          Key<?> key = byEnv.get(v.getKey());
          assertNotNull(key, env + ": " + v.getKey() + " is a key of " + role);
          try {
            key.parseAndValidate(v.getValue());
          } catch (RuntimeException bad) {
            fail(env + ": " + v.getKey() + "=" + v.getValue() + ": " + bad.getMessage());
          }
        }
      }
    }
  }

  /** The settings of a unit file as SECTION.Key to values, in order (systemd's syntax without continuations). */
  private static Map<String, List<String>> parse(Path unit) throws IOException {
    Map<String, List<String>> m = new LinkedHashMap<>();
    String section = "";
    for (String line : Files.readAllLines(unit)) {
      String l = line.strip();
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      assertFalse(l.endsWith("\\"), unit + ": no continued lines");
      if (l.startsWith("[")) {
        section = l.substring(1, l.length() - 1);
      } else {
        int eq = l.indexOf('=');
        m.computeIfAbsent(section + "." + l.substring(0, eq), k -> new ArrayList<>()).add(l.substring(eq + 1));
      }
    }
    return m;
  }

  private static String one(Map<String, List<String>> settings, String unit, String key) {
    List<String> v = settings.get(key);
    assertNotNull(v, unit + " sets " + key);
    assertEquals(1, v.size(), unit + " sets " + key + " once");
    return v.getFirst();
  }

  private static Map<String, String> readEnv(Path file) throws IOException {
    Map<String, String> m = new LinkedHashMap<>();
    for (String line : Files.readAllLines(file)) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int eq = line.indexOf('=');
      assertTrue(eq > 0, file + ": " + line);
      m.put(line.substring(0, eq), line.substring(eq + 1));
    }
    return m;
  }
}
