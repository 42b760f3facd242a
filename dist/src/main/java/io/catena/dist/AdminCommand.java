package io.catena.dist;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code catena admin ...}: operator commands; each subcommand is one operation. */
@Command(name = "admin", description = "Administer a Catena cluster.",
    subcommands = {PlacementCommand.class})
final class AdminCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @CommandLine.Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
  boolean help;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing admin command, e.g. placement");
  }
}
