package io.catena.dist;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code catena down}: stops the cluster {@code catena up} runs on a data directory, as Ctrl-C would. */
@Command(name = "down", description = "Stop the cluster that `catena up` runs on a data directory.")
final class DownCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--data", paramLabel = "DIR", defaultValue = "./data", description = "default: ${DEFAULT-VALUE}")
  Path data;

  @Override
  public Integer call() throws Exception {
    Path pidFile = data.resolve(UpCommand.PID_FILE);
    if (!Files.exists(pidFile)) {
      throw CatenaException.of(Errno.ENOENT, "no cluster was started on %s (no %s)", data, pidFile);
    }
    long pid = Long.parseLong(Files.readString(pidFile).trim());
    var handle = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
    if (handle.isEmpty()) {
      Files.deleteIfExists(pidFile);
      spec.commandLine().getOut().println("the cluster on " + data + " is not running");
      return 0;
    }
    handle.get().destroy();
    handle.get().onExit().get(90, TimeUnit.SECONDS);
    Files.deleteIfExists(pidFile);
    spec.commandLine().getOut().println("stopped the cluster on " + data + " (pid " + pid + ")");
    return 0;
  }
}
