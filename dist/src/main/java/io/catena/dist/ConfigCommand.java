package io.catena.dist;

import io.catena.common.config.Config;
import io.catena.common.config.ConfigLoader;
import io.catena.common.config.ConfigSchema;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code catena config ...}: what a role's configuration is and whether a file is valid. */
@Command(name = "config", description = "Show configuration defaults or check a configuration file.",
    subcommands = {ConfigCommand.Defaults.class, ConfigCommand.Check.class})
final class ConfigCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: defaults or check");
  }

  @Command(name = "defaults", description = "Print the default configuration of a role as TOML, with each key's "
      + "type, allowed values and environment variable.")
  static final class Defaults implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ROLE", completionCandidates = Roles.Names.class,
        description = "one of: ${COMPLETION-CANDIDATES}")
    String role;

    @Override
    public void run() {
      spec.commandLine().getOut().print(Roles.schema(spec.commandLine(), role).defaultsAsToml());
    }
  }

  @Command(name = "check", description = "Validate a configuration file (and CATENA_* environment overrides) for "
      + "a role and print the effective values with their sources.")
  static final class Check implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ROLE", completionCandidates = Roles.Names.class,
        description = "one of: ${COMPLETION-CANDIDATES}")
    String role;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "TOML configuration file")
    Path file;

    @Override
    public Integer call() {
      ConfigSchema schema = Roles.schema(spec.commandLine(), role);
      Config c = ConfigLoader.load(schema, file, System.getenv(), Map.of());
      spec.commandLine().getOut().print(c.describe());
      return 0;
    }
  }
}
