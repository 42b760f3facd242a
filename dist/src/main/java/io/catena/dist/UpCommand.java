package io.catena.dist;

import io.catena.common.config.Config;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code catena up}: the whole single-machine cluster in the foreground. Today that is the control process on the
 * embedded RocksDB engine; storage processes and the FUSE mount join it as their issues land.
 */
@Command(name = "up", description = "Start a single-machine Catena cluster in the foreground (Ctrl-C stops it).")
final class UpCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Mixin
  ConfigOptions configOptions;

  @Option(names = "--data", paramLabel = "DIR", defaultValue = "./data",
      description = "where the cluster keeps its state (default: ${DEFAULT-VALUE})")
  String data;

  @Option(names = "--listen", paramLabel = "ADDRESS", description = "control process address (default "
      + "tcp://127.0.0.1:8000)")
  String listen;

  @Override
  public Integer call() throws InterruptedException {
    ControlCommand control = new ControlCommand();
    control.data = data;
    control.listen = listen;
    Config config = configOptions.load(spec.commandLine(), "control", control.flagOverrides());
    var out = spec.commandLine().getOut();
    ControlCommand.runUntilStopped(config, p -> {
      out.println("Catena is up (single machine).");
      out.println("  control   " + p.address() + "   KV " + p.kvUrl());
      out.println("Check it with: ./catena status --address " + p.address());
      out.println("Stop it with Ctrl-C (or SIGTERM).");
      out.flush();
    });
    return 0;
  }
}
