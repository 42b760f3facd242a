package io.catena.admin;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.DataSize;
import io.catena.meta.Inode;
import io.catena.meta.MetaService;
import io.catena.meta.QuotaLimits;
import io.catena.meta.QuotaUsage;
import io.catena.meta.UserInfo;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Directory quotas through meta: set-quota (set or change the byte and inode limits of a directory and print its
 * usage once counted), quota (limits, usage, percent, state) and remove-quota. Paths are inside Catena, absolute,
 * resolved from its root as {@link FileCommands} does; the commands act as root (setting and removing a quota is
 * root's), which an admin's token may. Stateless holder of the command classes.
 */
final class QuotaCommands {
  private QuotaCommands() {}

  private static final String PATH_HINT = "check the path: it is resolved inside Catena from its root, not on this "
      + "machine's file system";

  /** The directory at {@code path}, or EINVAL (relative), ENOENT, ENOTDIR with the path in the message. */
  static Inode directory(AdminSession s, String path, String command) {
    if (!path.startsWith("/")) {
      throw CatenaException.of(Errno.EINVAL, "path '%s' must be absolute inside Catena (start with /)", path);
    }
    Inode dir = s.meta().resolve(UserInfo.ROOT, MetaService.ROOT, path, true);
    if (!dir.isDirectory()) {
      throw CatenaException.of(Errno.ENOTDIR, "%s is a %s; %s applies to directories", path,
          dir.type().name().toLowerCase(Locale.ROOT), command);
    }
    return dir;
  }

  /** used/limit as a percentage, null without a limit. May exceed 100: close records growth past a limit. */
  static Double percent(long used, long limit) {
    return limit <= 0 ? null : Math.round(used * 1000.0 / limit) / 10.0;
  }

  static Map<String, Object> view(String path, QuotaUsage q) {
    QuotaLimits l = q.limits();
    return Views.obj("path", path, "inode", q.ino(), "state", q.state().name(),
        "enforced", q.state() == QuotaUsage.State.ACTIVE,
        "max_bytes", l.maxBytes(), "used_bytes", q.usedBytes(), "bytes_percent", percent(q.usedBytes(), l.maxBytes()),
        "max_inodes", l.maxInodes(), "used_inodes", q.usedInodes(),
        "inodes_percent", percent(q.usedInodes(), l.maxInodes()));
  }

  static Table table(String path, QuotaUsage q) {
    QuotaLimits l = q.limits();
    Table t = new Table("PATH", "STATE", "BYTES USED", "BYTE LIMIT", "BYTES %", "INODES USED", "INODE LIMIT",
        "INODES %");
    t.row(path, q.state().name(), Views.bytes(q.usedBytes()), l.maxBytes() == 0 ? "none" : Views.bytes(l.maxBytes()),
        pct(percent(q.usedBytes(), l.maxBytes())), q.usedInodes(), l.maxInodes() == 0 ? "none" : l.maxInodes(),
        pct(percent(q.usedInodes(), l.maxInodes())));
    switch (q.state()) {
      case COUNTING -> t.footer("not enforced yet: what is already beneath " + path + " is still being counted; run "
          + "`catena admin set-quota " + path + "` with the same limits to finish");
      case REMOVING -> t.footer("not enforced: being removed; run `catena admin remove-quota " + path + "` to finish");
      case ACTIVE -> {
        if ((l.maxBytes() > 0 && q.usedBytes() > l.maxBytes())
            || (l.maxInodes() > 0 && q.usedInodes() > l.maxInodes())) {
          t.footer("over its limit (files grew past it before close recorded their length, or the limit was "
              + "lowered): growth is refused with EDQUOT until usage drops below it");
        }
      }
    }
    return t;
  }

  private static String pct(Double p) {
    return p == null ? "-" : String.format(Locale.ROOT, "%.1f%%", p);
  }

  @Command(name = "set-quota", sortOptions = false,
      description = {"Set or change a directory quota: hard limits on the bytes (file lengths) and the inodes "
          + "beneath a directory (the directory itself not included). 0 means no limit.",
          "On a new quota, what is already beneath the directory is counted first (in many small transactions); the "
              + "quota is enforced once counted, and the usage is printed then. Growth past a limit fails with "
              + "EDQUOT (create, mkdir, truncate; a write's growth at close/fsync, where the length is recorded "
              + "first). Directories cannot be renamed across quota boundaries (EXDEV; mv copies instead).",
          "On an existing quota, a limit not given keeps its current value."},
      footer = ExitCodes.FOOTER)
  static final class SetQuota extends AdminCall.Remote {
    @Parameters(paramLabel = "DIR", description = "absolute path of a directory inside Catena, e.g. /projects/a")
    String path;

    @Option(names = "--bytes", paramLabel = "SIZE", description = "byte limit, e.g. 10GiB, 500MB, 1048576 "
        + "(0: no limit)")
    String bytes;

    @Option(names = "--inodes", paramLabel = "N", description = "inode limit: files, directories, symlinks "
        + "(0: no limit)")
    Long inodes;

    @Override
    int run(AdminSession s) {
      if (bytes == null && inodes == null) {
        throw new CommandLine.ParameterException(spec.commandLine(), "give a limit: --bytes SIZE and/or --inodes N");
      }
      Long maxBytes = null;
      if (bytes != null) {
        try {
          maxBytes = DataSize.parse(bytes).bytes();
        } catch (RuntimeException e) {
          throw CatenaException.of(Errno.EINVAL, "--bytes %s is not a size like 10GiB, 500MB or 1048576 (0: no "
              + "limit)", bytes);
        }
      }
      if (inodes != null && inodes < 0) {
        throw CatenaException.of(Errno.EINVAL, "--inodes %d is negative (0: no limit)", inodes);
      }
      Inode dir = directory(s, path, "set-quota");
      // Limits not given keep the current quota's value (none for a new quota), as set-layout keeps options.
      Optional<QuotaUsage> cur = s.meta().getQuota(UserInfo.ROOT, dir.id());
      QuotaLimits was = cur.map(QuotaUsage::limits).orElse(QuotaLimits.NONE);
      QuotaLimits want = new QuotaLimits(maxBytes != null ? maxBytes : was.maxBytes(),
          inodes != null ? inodes : was.maxInodes());
      if (cur.isEmpty()) {
        err().println("set-quota: counting what is beneath " + path + " ...");
        err().flush();
      }
      QuotaUsage after = s.meta().setQuota(UserInfo.ROOT, dir.id(), want);
      print(json(), view(path, after), table(path, after));
      return ExitCodes.OK;
    }

    @Override
    String hint(CatenaException e) {
      return switch (e.errno()) {
        case ENOENT -> PATH_HINT;
        case EBUSY -> "finish the removal first: catena admin remove-quota " + path;
        case ETIMEDOUT -> "a large directory may take longer to count: run set-quota again with a longer --timeout "
            + "(the quota is not enforced until a count finishes; `catena admin quota " + path + "` shows its state)";
        default -> null;
      };
    }
  }

  @Command(name = "quota", sortOptions = false,
      description = {"Show a directory's quota: limits, usage, percent used and state (ACTIVE: enforced; COUNTING "
          + "or REMOVING: not enforced until set-quota or remove-quota finishes).",
          "Fails (exit 1) when no quota is set on that directory itself; quotas of enclosing directories are shown "
              + "by asking about them."},
      footer = ExitCodes.FOOTER)
  static final class Quota extends AdminCall.Remote {
    @Parameters(paramLabel = "DIR", description = "absolute path of a directory inside Catena")
    String path;

    @Override
    int run(AdminSession s) {
      Inode dir = directory(s, path, "quota");
      QuotaUsage q = s.meta().getQuota(UserInfo.ROOT, dir.id()).orElseThrow(() -> CatenaException.of(Errno.ENOENT,
          "no quota is set on %s", path));
      print(json(), view(path, q), table(path, q));
      return ExitCodes.OK;
    }

    @Override
    String hint(CatenaException e) {
      if (e.errno() == Errno.ENOENT && e.getMessage().contains("no quota")) {
        return "set one with `catena admin set-quota " + path + " --bytes SIZE --inodes N`";
      }
      return e.errno() == Errno.ENOENT ? PATH_HINT : null;
    }
  }

  @Command(name = "remove-quota", sortOptions = false,
      description = {"Remove a directory's quota: its usage is handed back to the enclosing quota, if any (in many "
          + "small transactions; if interrupted, the quota stays REMOVING, not enforced, and running remove-quota "
          + "again finishes it). Files are not touched."},
      footer = ExitCodes.FOOTER)
  static final class RemoveQuota extends AdminCall.Remote {
    @Parameters(paramLabel = "DIR", description = "absolute path of a directory inside Catena")
    String path;

    @Override
    int run(AdminSession s) {
      Inode dir = directory(s, path, "remove-quota");
      Optional<QuotaUsage> before = s.meta().getQuota(UserInfo.ROOT, dir.id());
      if (before.isEmpty()) {
        throw CatenaException.of(Errno.ENOENT, "no quota is set on %s", path);
      }
      // False only if a concurrent removal (or a retry of this one after a lost reply) finished it first: gone
      // either way, which is what was asked.
      s.meta().removeQuota(UserInfo.ROOT, dir.id());
      QuotaUsage q = before.get();
      Table t = new Table("PATH", "REMOVED QUOTA", "USAGE HANDED BACK").row(path, limits(q.limits()),
          Views.bytes(q.usedBytes()) + ", " + q.usedInodes() + " inodes");
      print(json(), Views.obj("path", path, "inode", dir.id(), "removed", true, "quota", view(path, q)), t);
      return ExitCodes.OK;
    }

    private static String limits(QuotaLimits l) {
      return (l.maxBytes() == 0 ? "no byte limit" : Views.bytes(l.maxBytes())) + ", "
          + (l.maxInodes() == 0 ? "no inode limit" : l.maxInodes() + " inodes");
    }

    @Override
    String hint(CatenaException e) {
      if (e.errno() == Errno.ENOENT && e.getMessage().contains("no quota")) {
        return "nothing to remove; `catena admin quota DIR` shows a directory's quota";
      }
      return e.errno() == Errno.ENOENT ? PATH_HINT : null;
    }
  }
}
