package io.catena.admin;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.Durations;
import io.catena.meta.Inode;
import io.catena.meta.MetaService;
import io.catena.meta.TrashEntry;
import io.catena.meta.TrashService;
import io.catena.meta.TrashTimeChange;
import io.catena.meta.UserInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Trash and undelete (MooseFS's mfssettrashtime, mfsgettrashtime and its trash directory; docs/trash.md):
 * set-trashtime, get-trashtime, and trash list / restore / purge. Paths are inside Catena, absolute; the commands
 * act as root, which an admin's token may. Stateless holder of the command classes.
 */
final class TrashCommands {
  private TrashCommands() {}

  private static final String PATH_HINT = "check the path: it is resolved inside Catena from its root, not on this "
      + "machine's file system";

  /** A trash time: 0, a number of seconds, or a number with a unit (90m, 1d, 12h). */
  static long seconds(String text, String what) {
    String t = text.trim();
    try {
      if (t.matches("\\d+")) {
        return Long.parseLong(t);
      }
      Duration d = Durations.parse(t);
      if (d.toNanos() % 1_000_000_000L != 0) {
        throw new IllegalArgumentException("trash times are whole seconds");
      }
      return d.toSeconds();
    } catch (IllegalArgumentException e) {
      throw CatenaException.of(Errno.EINVAL, "%s '%s' is not a duration like 1d, 12h, 90m, 3600 (seconds) or 0 "
          + "(off): %s", what, text, e.getMessage());
    }
  }

  static String human(long seconds) {
    return seconds == 0 ? "0 (off)" : Durations.format(Duration.ofSeconds(seconds));
  }

  static Inode resolve(AdminSession s, String path) {
    if (!path.startsWith("/")) {
      throw CatenaException.of(Errno.EINVAL, "path '%s' must be absolute inside Catena (start with /)", path);
    }
    return s.meta().resolve(UserInfo.ROOT, MetaService.ROOT, path, false);
  }

  static TrashService trash(AdminSession s) {
    return s.meta().trash();
  }

  @Command(name = "set-trashtime", sortOptions = false,
      description = {"Set the trash time of a file or directory (MooseFS mfssettrashtime): how long a removed file "
          + "is kept in the trash area (restorable with `catena admin trash restore`) before its space is freed. "
          + "What is created in a directory later inherits its trash time. 0 turns trash off (removal frees at "
          + "once).",
          "With -r, everything already beneath a directory is set too, and the counts are printed as MooseFS does: "
              + "changed, not changed (already at that time), not permitted."},
      footer = ExitCodes.FOOTER)
  static final class SetTrashTime extends AdminCall.Remote {
    @Option(names = {"-r", "--recursive"}, description = "also set everything beneath the directory")
    boolean recursive;

    @Parameters(index = "0", paramLabel = "PATH", description = "absolute path inside Catena, e.g. /projects")
    String path;

    @Parameters(index = "1", paramLabel = "DURATION", description = "e.g. 1d, 12h, 90m, 3600 (seconds), 0 (off)")
    String duration;

    @Override
    int run(AdminSession s) {
      long secs = seconds(duration, "DURATION");
      Inode i = resolve(s, path);
      TrashTimeChange c = trash(s).setTrashTime(UserInfo.ROOT, i.id(), secs, recursive);
      Table t = new Table("PATH", "TRASH TIME", "CHANGED", "NOT CHANGED", "NOT PERMITTED")
          .row(path, human(secs), c.changed(), c.notChanged(), c.notPermitted());
      print(json(), Views.obj("path", path, "inode", i.id(), "trash_time_seconds", secs, "recursive", recursive,
          "changed", c.changed(), "not_changed", c.notChanged(), "not_permitted", c.notPermitted()), t);
      return ExitCodes.OK;
    }

    @Override
    String hint(CatenaException e) {
      return e.errno() == Errno.ENOENT ? PATH_HINT : null;
    }
  }

  @Command(name = "get-trashtime", sortOptions = false,
      description = {"Show the trash time of a file or directory (MooseFS mfsgettrashtime)."},
      footer = ExitCodes.FOOTER)
  static final class GetTrashTime extends AdminCall.Remote {
    @Parameters(paramLabel = "PATH", description = "absolute path inside Catena")
    String path;

    @Override
    int run(AdminSession s) {
      Inode i = resolve(s, path);
      long secs = trash(s).getTrashTime(UserInfo.ROOT, i.id());
      print(json(), Views.obj("path", path, "inode", i.id(), "trash_time_seconds", secs),
          new Table("PATH", "TRASH TIME").row(path, human(secs)));
      return ExitCodes.OK;
    }

    @Override
    String hint(CatenaException e) {
      return e.errno() == Errno.ENOENT ? PATH_HINT : null;
    }
  }

  @Command(name = "trash", sortOptions = false, subcommands = {TrashList.class, Restore.class, Purge.class},
      description = {"The trash area: removed files kept for their trash time (see set-trashtime).",
          "Also visible at MOUNT/.catena-virt/trash/ (each user sees their own files; root sees all)."},
      footer = ExitCodes.FOOTER)
  static final class Trash implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    boolean help;

    @Override
    public void run() {
      throw new CommandLine.ParameterException(spec.commandLine(), "missing trash command: list, restore or purge");
    }
  }

  static List<TrashEntry> all(TrashService t) {
    List<TrashEntry> out = new ArrayList<>();
    long after = -1;
    while (true) {
      List<TrashEntry> page = t.listTrash(UserInfo.ROOT, after, 1000);
      out.addAll(page);
      if (page.size() < 1000) {
        break;
      }
      after = page.getLast().id();
    }
    out.sort(Comparator.comparingLong(TrashEntry::deletedAtNanos).thenComparingLong(TrashEntry::id));
    return out;
  }

  static String when(long nanos) {
    return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L)).toString();
  }

  static Map<String, Object> view(TrashEntry e) {
    return Views.obj("id", e.id(), "path", e.path(), "deleted_at", when(e.deletedAtNanos()),
        "expires_at", when(e.expiresAtNanos()), "uid", e.uid(), "gid", e.gid(), "mode", String.format("%04o",
            e.mode()), "length", e.length());
  }

  @Command(name = "list", sortOptions = false,
      description = {"List the trash area, oldest removal first: id (for restore and purge), original path, when "
          + "removed, when it expires, owner and size."},
      footer = ExitCodes.FOOTER)
  static final class TrashList extends AdminCall.Remote {
    @Override
    int run(AdminSession s) {
      List<TrashEntry> entries = all(trash(s));
      Table t = new Table("ID", "PATH", "DELETED", "EXPIRES", "UID", "SIZE");
      for (TrashEntry e : entries) {
        t.row(e.id(), e.path(), when(e.deletedAtNanos()), when(e.expiresAtNanos()), e.uid(), Views.bytes(e.length()));
      }
      long bytes = entries.stream().mapToLong(TrashEntry::length).sum();
      t.footer(entries.isEmpty() ? "the trash is empty" : entries.size() + " files, " + Views.bytes(bytes)
          + " kept until they expire (`catena admin trash purge` frees them now)");
      print(json(), Views.obj("entries", entries.stream().map(TrashCommands::view).toList()), t);
      return ExitCodes.OK;
    }
  }

  @Command(name = "restore", sortOptions = false,
      description = {"Put a trashed file back at its original path (or --to PATH) with its content, mode, owner and "
          + "times. Fails with EEXIST if the path is taken, and with ENOENT if its directory no longer exists: "
          + "nothing is created, restore --to another path instead."},
      footer = ExitCodes.FOOTER)
  static final class Restore extends AdminCall.Remote {
    @Parameters(paramLabel = "ID", description = "the entry's id, from `catena admin trash list`")
    long id;

    @Option(names = "--to", paramLabel = "PATH", description = "restore as this absolute path inside Catena")
    String to;

    @Override
    int run(AdminSession s) {
      TrashService t = trash(s);
      Inode back = t.restore(UserInfo.ROOT, id, to);
      String where = to != null ? to : "its original path";
      print(json(), Views.obj("id", id, "restored", true, "path", to, "inode", back.id(), "length", back.length()),
          new Table("ID", "RESTORED TO", "SIZE").row(id, where, Views.bytes(back.length())));
      return ExitCodes.OK;
    }

    @Override
    String hint(CatenaException e) {
      return switch (e.errno()) {
        case EEXIST -> "restore it under another name: catena admin trash restore " + id + " --to PATH";
        case ENOENT -> e.getMessage().contains("no trash entry")
            ? "see `catena admin trash list` for the entries there are"
            : "create the directory first, or restore elsewhere with --to PATH";
        case EDQUOT -> "the directory's quota has no room for it: free space there or restore elsewhere";
        default -> null;
      };
    }
  }

  @Command(name = "purge", sortOptions = false,
      description = {"Free trashed files now instead of at their expiry: one entry by id, every entry (--all), or "
          + "those removed more than a duration ago (--older-than 7d). Their chunks are removed by the garbage "
          + "collector's next pass."},
      footer = ExitCodes.FOOTER)
  static final class Purge extends AdminCall.Remote {
    @Parameters(paramLabel = "ID", arity = "0..1", description = "the entry's id, from `catena admin trash list`")
    Long id;

    @Option(names = "--all", description = "purge every entry")
    boolean all;

    @Option(names = "--older-than", paramLabel = "DURATION", description = "purge entries removed more than this "
        + "long ago, e.g. 7d")
    String olderThan;

    @Override
    int run(AdminSession s) {
      int given = (id != null ? 1 : 0) + (all ? 1 : 0) + (olderThan != null ? 1 : 0);
      if (given != 1) {
        throw new CommandLine.ParameterException(spec.commandLine(), "give exactly one of ID, --all or "
            + "--older-than DURATION");
      }
      long n = id != null ? trash(s).purge(UserInfo.ROOT, id, 0)
          : trash(s).purge(UserInfo.ROOT, -1, all ? 0 : seconds(olderThan, "--older-than"));
      print(json(), Views.obj("purged", n), new Table("PURGED").row(n));
      return ExitCodes.OK;
    }

    @Override
    String hint(CatenaException e) {
      return e.errno() == Errno.ENOENT ? "see `catena admin trash list` for the entries there are" : null;
    }
  }
}
