package io.catena.fuse;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Helpers shared by the mount tests: config, running real tools, the mount table. */
final class TestSupport {
  private TestSupport() {}

  record Result(int exit, String output) {}

  static Config config(Map<String, String> overrides) {
    return Config.defaults(ConfigSchema.fromHolders(FuseConfig.class)).withUpdates(overrides, "test", false);
  }

  static Result run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out;
    try (var in = p.getInputStream()) {
      out = in.readAllBytes();
    }
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.toHandle().destroyForcibly();
      fail("timed out: " + String.join(" ", cmd));
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  static String ok(String... cmd) throws IOException, InterruptedException {
    Result r = run(cmd);
    assertTrue(r.exit == 0, String.join(" ", cmd) + " failed (" + r.exit + "): " + r.output);
    return r.output;
  }

  /** True when /proc/mounts lists anything mounted at {@code mountpoint}. */
  static boolean mounted(Path mountpoint) throws IOException {
    String mp = mountpoint.toAbsolutePath().normalize().toString();
    for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
      String[] f = line.split(" ");
      if (f.length > 1 && f[1].replace("\\040", " ").equals(mp)) {
        return true;
      }
    }
    return false;
  }

  static List<String> fuseMountsUnder(Path dir) throws IOException {
    String prefix = dir.toAbsolutePath().normalize().toString();
    return Files.readAllLines(Path.of("/proc/mounts")).stream()
        .filter(l -> l.split(" ")[1].startsWith(prefix)).toList();
  }

  /** A context for calling the file system directly, behind the kernel's back. */
  static RequestContext rootContext() {
    return new RequestContext() {
      @Override public long unique() {
        return 0;
      }

      @Override public int opcode() {
        return 0;
      }

      @Override public int uid() {
        return 0;
      }

      @Override public int gid() {
        return 0;
      }

      @Override public int pid() {
        return 0;
      }

      @Override public int[] groups() {
        return new int[0];
      }

      @Override public boolean isInterrupted() {
        return false;
      }

      @Override public void onInterrupt(Runnable action) {}
    };
  }
}
