package io.catena.dist;

import io.catena.common.CatenaException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code catena} launcher: one command, many roles and tools. */
@Command(name = "catena",
    mixinStandardHelpOptions = true,
    versionProvider = VersionCommand.Provider.class,
    description = "Catena: a distributed file system for AI and data workloads.",
    subcommands = {
        UpCommand.class,
        DownCommand.class,
        ControlCommand.class,
        MgmtdCommand.class,
        MetaCommand.class,
        StorageCommand.class,
        MonitorCommand.class,
        MetaloggerCommand.class,
        StatusCommand.class,
        ConfigCommand.class,
        BenchCommand.class,
        AdminCommand.class,
        MountCommand.class,
        UmountCommand.class,
        VersionCommand.class,
        CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the launcher and returns its exit code: 0 ok, 1 an operation failed, 2 bad usage. */
  public static int run(String... args) {
    CommandLine cl = new CommandLine(new Main());
    PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
    PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
    cl.setOut(out);
    cl.setErr(err);
    cl.setParameterExceptionHandler((e, args1) -> {
      CommandLine cmd = e.getCommandLine();
      cmd.getErr().println("catena: " + e.getMessage());
      CommandLine.UnmatchedArgumentException.printSuggestions(e, cmd.getErr());
      cmd.getErr().println();
      cmd.usage(cmd.getErr());
      return 2;
    });
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      if (e instanceof CatenaException ce) {
        cmd.getErr().println("catena: " + ce.status().code() + ": " + ce.status().message());
      } else {
        cmd.getErr().println("catena: " + e);
        e.printStackTrace(cmd.getErr());
      }
      return 1;
    });
    try {
      return cl.execute(args);
    } finally {
      out.flush();
      err.flush();
    }
  }
}
