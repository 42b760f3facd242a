package io.catena.admin;

import io.catena.common.CatenaException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code catena admin ...}: the operator's commands, one subcommand per operation. The launcher mounts this class
 * (dist's AdminCommand extends it); {@link #commandLine} builds it stand-alone with the same error handling, for
 * tests and embedding. Every command takes {@code --help}; those that print records take {@code --json}.
 */
@Command(name = "admin", description = "Administer a Catena cluster.",
    synopsisSubcommandLabel = "COMMAND",
    subcommands = {
        InitClusterCommand.class,
        KvCopyCommand.class,
        BackupCommands.Backup.class, BackupCommands.Restore.class, BackupCommands.MetaRestoreCommand.class,
        BackupCommands.Metaloggers.class,
        FsckCommand.class,
        ListCommands.Nodes.class,
        ListCommands.Targets.class,
        ListCommands.Chains.class,
        ListCommands.ChainTables.class,
        HealthCommand.class,
        PlacementCommand.class,
        UploadCommands.CreateTargets.class,
        UploadCommands.UploadChains.class,
        UploadCommands.UploadChainTable.class,
        ChainCommands.OfflineTarget.class,
        ChainCommands.RemoveTarget.class,
        ChainCommands.RotateLastSrv.class,
        ChainCommands.UpdateChain.class,
        DrainCommand.class,
        ConfigCommands.SetConfig.class,
        ConfigCommands.GetConfig.class,
        UserCommands.UserAdd.class,
        UserCommands.UserList.class,
        UserCommands.UserRemove.class,
        UserCommands.UserSetToken.class,
        FileCommands.Stat.class,
        FileCommands.SetLayout.class,
        QuotaCommands.SetQuota.class, QuotaCommands.Quota.class, QuotaCommands.RemoveQuota.class,
        TrashCommands.SetTrashTime.class, TrashCommands.GetTrashTime.class, TrashCommands.Trash.class,
        ExportsCommands.class,
        SnapshotCommand.class,
        GoalCommands.SetGoal.class, GoalCommands.GetGoal.class
    },
    footer = {"%nConnection: --data DIR (a `catena up` directory), or --mgmtd ADDRESS and --token-file FILE "
        + "(or CATENA_RPC_AUTH_TOKEN).", "Exit codes: 0 done, 1 refused or failed, 2 bad usage, 3 cluster "
        + "unreachable, 4 token missing or not allowed; health: 0 healthy, 1 degraded, 2 unreachable."})
public class AdminCli implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @CommandLine.Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
  boolean help;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing admin command, e.g. list-nodes");
  }

  /** The admin commands on their own, printing to {@code out}/{@code err}, with the launcher's usage handling. */
  public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new AdminCli());
    cl.setOut(out);
    cl.setErr(err);
    cl.setParameterExceptionHandler((e, args) -> {
      CommandLine cmd = e.getCommandLine();
      cmd.getErr().println("catena admin: " + e.getMessage());
      CommandLine.UnmatchedArgumentException.printSuggestions(e, cmd.getErr());
      cmd.getErr().println("(see: catena admin " + (cmd == cl ? "" : cmd.getCommandName() + " ") + "--help)");
      return ExitCodes.USAGE;
    });
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("catena admin: " + (e instanceof CatenaException ce ? ce.status().message() : e));
      return ExitCodes.REFUSED;
    });
    return cl;
  }
}
