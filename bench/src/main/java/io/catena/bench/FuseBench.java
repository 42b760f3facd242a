package io.catena.bench;

import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.fuse.FuseConfig;
import io.catena.fuse.FuseFileSystem;
import io.catena.fuse.FuseMount;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code catena bench fuse}: dd with 1 MiB blocks through a real kernel mount of a file system in this process, with
 * the page cache and with direct_io: a file system in memory (dd writes and fsyncs a file, then reads it back) and
 * the "null" file system that drops writes and answers reads from the reply buffer (the protocol loop alone). Needs
 * root and /dev/fuse. Prints dd's rates and the reader threads the mount grew to.
 */
@Command(name = "fuse", mixinStandardHelpOptions = true,
    description = "FUSE protocol benchmark: dd with 1 MiB blocks through a real mount of an in-process memory file"
        + " system and of a null file system, page cache and direct_io; MB/s and reader threads.")
public final class FuseBench implements Callable<Integer> {

  @Option(names = "--memory-mib", defaultValue = "256",
      description = "MiB dd writes to and reads from the memory file system (default ${DEFAULT-VALUE}).")
  int memoryMib;

  @Option(names = "--null-mib", defaultValue = "1024",
      description = "MiB dd writes to and reads from the null file system (default ${DEFAULT-VALUE}).")
  int nullMib;

  @Option(names = "--dir", description = "Where to make the mount point (default: a temporary directory).")
  Path dir;

  public static void main(String[] args) {
    System.exit(new CommandLine(new FuseBench()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    Path root = dir != null ? dir : Files.createTempDirectory("catena-fuse-bench");
    Path mnt = Files.createDirectories(root.resolve("mnt"));
    System.out.printf("fuse bench: dd with 1 MiB blocks, mount point %s%n", mnt);
    try {
      for (boolean directIo : new boolean[] {false, true}) {
        run(mnt, "memory fs", MemoryFileSystem::new, directIo, "dd", memoryMib, List.of("conv=fsync"));
      }
      for (boolean directIo : new boolean[] {false, true}) {
        // The null file's 64 GiB are there already: dd must not truncate it.
        run(mnt, "null fs", NullFileSystem::new, directIo, "null", nullMib, List.of("conv=notrunc"));
      }
    } finally {
      Files.deleteIfExists(mnt);
      if (dir == null) {
        Files.deleteIfExists(root);
      }
    }
    return 0;
  }

  private static void run(Path mnt, String fsName, Supplier<FuseFileSystem> fs, boolean directIo, String file,
      int mib, List<String> writeFlags) throws IOException, InterruptedException {
    Config config = Config.defaults(ConfigSchema.fromHolders(FuseConfig.class))
        .withUpdates(Map.of("fuse.direct_io", Boolean.toString(directIo)), "bench", false);
    try (FuseMount mount = FuseMount.mount(mnt, fs.get(), config, "catenabench")) {
      String f = mnt.resolve(file).toString();
      List<String> write = new ArrayList<>(List.of("dd", "if=/dev/zero", "of=" + f, "bs=1M", "count=" + mib));
      write.addAll(writeFlags);
      String w = dd(write);
      String r = dd(List.of("dd", "if=" + f, "of=/dev/null", "bs=1M", "count=" + mib));
      System.out.printf("dd 1 MiB blocks, %s, %s: write %s, read %s, readers %d%n", fsName,
          directIo ? "direct_io" : "page cache", w, r, mount.threads());
    }
  }

  /** Runs dd and returns its rate: what its last line says after the last comma, e.g. "1.2 GB/s". */
  private static String dd(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out;
    try (var in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", command) + " did not finish within 120 s");
    }
    if (p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed (" + p.exitValue() + "): " + out);
    }
    String[] lines = out.trim().split("\n");
    String last = lines[lines.length - 1];
    return last.substring(last.lastIndexOf(',') + 1).trim();
  }
}
