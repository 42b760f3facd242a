package io.catena.admin;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Status;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The frame of every {@code catena admin} command: runs {@link #run}, turns a {@link CatenaException} into one line
 * {@code catena admin: <what> (<errno>): <what to do>} on stderr and an exit code from {@link ExitCodes}. Subclasses
 * print tables to {@link #out()} (or one JSON document with {@code --json}) and progress to {@link #err()}. One
 * instance per invocation; not thread-safe.
 */
abstract class AdminCall implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
  boolean help;

  /** What to run; returns the exit code. */
  abstract int run() throws Exception;

  /** What to do about an error, for errnos whose generic advice would mislead; null for the generic advice. */
  String hint(CatenaException e) {
    return null;
  }

  @Override
  public final Integer call() {
    try {
      return run();
    } catch (CommandLine.ParameterException e) {
      throw e;
    } catch (CatenaException e) {
      return fail(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return fail(CatenaException.of(Errno.EINTR, "interrupted"));
    } catch (UncheckedIOException e) {
      return fail(CatenaException.of(Errno.EIO, "%s", e.getMessage()));
    } catch (Exception e) {
      return fail(new CatenaException(CatenaException.statusOf(e), e));
    }
  }

  int fail(CatenaException e) {
    Status s = e.status();
    String advice = hint(e);
    if (advice == null && s.message() != null && s.message().contains("export rule")) {
      // A token does not help here: the rules for this host's address decide (docs/exports.md).
      advice = "the export rules for this host decide (`catena admin exports show`); ask whoever edits them";
    }
    if (advice == null) {
      advice = genericHint(e.errno());
    }
    err().println("catena admin: " + oneLine(s.message()) + " (" + e.errno().name() + "): " + advice);
    err().flush();
    return exitCode(e);
  }

  /** The exit code of an error; {@code health} maps unreachable differently. */
  int exitCode(CatenaException e) {
    return ExitCodes.of(e.errno());
  }

  static String oneLine(String s) {
    return s == null ? "" : s.replaceAll("\\s*\\R\\s*", "; ");
  }

  static String genericHint(Errno e) {
    return switch (e) {
      case ETIMEDOUT, ECONNREFUSED, ECONNRESET, EHOSTUNREACH, ENETUNREACH, ESHUTDOWN ->
          "check --mgmtd/--data and that the control process runs (`catena status`), then retry";
      case EACCES, EPERM, EKEYREJECTED -> "pass an admin's token: --token-file FILE, --data DIR or "
          + "CATENA_RPC_AUTH_TOKEN";
      case ENOENT -> "check the ids (list-nodes, list-targets, list-chains, list-chain-tables, user-list)";
      case EEXIST -> "it exists already: look at it with the list commands, or choose another id";
      case EBUSY -> "do what the message says first, then retry";
      case EAGAIN -> "the cluster changed meanwhile or has no primary yet: retry";
      case EINVAL -> "fix the request as the message says (see --help)";
      default -> "see the message; --help describes the command";
    };
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  /** Prints {@code doc} as JSON or {@code table} as text, depending on {@code json}. */
  void print(boolean json, Object doc, Table table) {
    if (json) {
      out().println(Json.write(doc));
    } else {
      out().print(table.render());
    }
    out().flush();
  }

  /** Mixin for the JSON switch. */
  static final class JsonOption {
    @Option(names = "--json", description = "print one JSON document instead of a table (for scripts)")
    boolean json;
  }

  /** Base of commands that talk to the cluster: connection and output options. */
  abstract static class Remote extends AdminCall {
    @Mixin
    ConnectionOptions connection;

    @Mixin
    JsonOption output;

    boolean json() {
      return output.json;
    }

    @Override
    final int run() throws Exception {
      try (AdminSession s = new AdminSession(connection)) {
        return run(s);
      }
    }

    abstract int run(AdminSession s) throws Exception;
  }
}
