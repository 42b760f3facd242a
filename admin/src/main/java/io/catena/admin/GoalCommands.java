package io.catena.admin;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.meta.Inode;
import io.catena.meta.MetaService;
import io.catena.meta.UserInfo;
import io.catena.meta.goal.GoalClient;
import io.catena.meta.goal.GoalCounts;
import io.catena.meta.goal.GoalReport;
import io.catena.meta.goal.GoalStatus;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Replication goals as MooseFS's mfssetgoal/mfsgetgoal: {@code set-goal [-r] PATH N} and {@code get-goal [-r] PATH}.
 * They act as root (the admin's token may speak for any identity).
 */
final class GoalCommands {
  private GoalCommands() {}

  static Inode resolve(AdminSession s, String path) {
    if (!path.startsWith("/")) {
      throw CatenaException.of(Errno.EINVAL, "path '%s' must be absolute inside Catena (start with /)", path);
    }
    return s.meta().resolve(UserInfo.ROOT, MetaService.ROOT, path, true);
  }

  @Command(name = "set-goal", sortOptions = false,
      description = {"Set the replication goal (number of copies) of a file or directory, like mfssetgoal.",
          "A directory's goal is inherited by what is created in it later. A file whose goal changes is moved in "
              + "the background to chains of that many replicas (new copies verified before old ones go); "
              + "`get-goal`, `stat` and `health` show it moving until done. -r applies the goal to the whole tree "
              + "and counts inodes changed, not changed and not permitted."},
      footer = ExitCodes.FOOTER)
  static final class SetGoal extends AdminCall.Remote {
    @Option(names = "-r", description = "apply to everything beneath PATH too")
    boolean recursive;

    @Parameters(index = "0", paramLabel = "PATH", description = "absolute path inside Catena")
    String path;

    @Parameters(index = "1", paramLabel = "N", description = "the goal: copies of each chunk (1..9)")
    int goal;

    @Override
    int run(AdminSession s) {
      Inode i = resolve(s, path);
      GoalCounts c = new GoalClient(s.meta()).setGoal(UserInfo.ROOT, i.id(), goal, recursive);
      Map<String, Object> doc = Views.obj("path", path, "goal", goal, "recursive", recursive, "changed",
          c.changed(), "not_changed", c.notChanged(), "not_permitted", c.notPermitted());
      if (json()) {
        out().println(Json.write(doc));
      } else if (recursive) {
        out().printf("%s:%n inodes with goal changed:      %10d%n inodes with goal not changed:  %10d%n"
            + " inodes with permission denied: %10d%n", path, c.changed(), c.notChanged(), c.notPermitted());
      } else {
        out().printf("%s: %d%s%n", path, goal, c.notPermitted() > 0 ? " (permission denied)" : "");
      }
      out().flush();
      return c.notPermitted() > 0 && c.changed() + c.notChanged() == 0 ? ExitCodes.of(Errno.EPERM) : ExitCodes.OK;
    }

    @Override
    String hint(CatenaException e) {
      return e.errno() == Errno.EINVAL && e.getMessage().contains("goal")
          ? "see the chain tables and their replication with `catena admin list-chain-tables` and list-chains"
          : null;
    }
  }

  @Command(name = "get-goal", sortOptions = false,
      description = {"Show the replication goal of a file or directory, like mfsgetgoal; a file moving to another "
          + "goal shows both. -r counts the files and directories beneath PATH per goal."},
      footer = ExitCodes.FOOTER)
  static final class GetGoal extends AdminCall.Remote {
    @Option(names = "-r", description = "count goals of everything beneath PATH")
    boolean recursive;

    @Parameters(paramLabel = "PATH", description = "absolute path inside Catena")
    String path;

    @Override
    int run(AdminSession s) {
      Inode i = resolve(s, path);
      GoalReport g = new GoalClient(s.meta()).getGoal(UserInfo.ROOT, i.id(), recursive);
      Map<String, Object> doc = Views.obj("path", path, "goal", g.goal(), "target_goal",
          g.isMoving() ? g.targetGoal() : null, "state", state(g));
      if (recursive) {
        doc.put("files", g.files());
        doc.put("directories", g.directories());
        doc.put("moving", g.moving());
      }
      if (json()) {
        out().println(Json.write(doc));
      } else if (!recursive) {
        out().printf("%s: %d%s%n", path, g.goal(), g.isMoving() ? " (" + state(g) + " to " + g.targetGoal() + ")"
            : "");
      } else {
        out().printf("%s:%n", path);
        g.files().forEach((k, v) -> out().printf(" files with goal        %2d : %10d%n", k, v));
        g.directories().forEach((k, v) -> out().printf(" directories with goal  %2d : %10d%n", k, v));
        if (g.moving() > 0) {
          out().printf(" files moving to another goal : %10d%n", g.moving());
        }
      }
      out().flush();
      return ExitCodes.OK;
    }
  }

  /** "ok", "moving" or "under goal" (moving to more copies than it has). */
  static String state(GoalReport g) {
    return g.isUnderGoal() ? "under goal, moving" : g.isMoving() ? "moving" : "ok";
  }

  /** The mover's backlog for health, or null if meta cannot be asked (health still reports routing). */
  static GoalStatus status(AdminSession s) {
    try {
      return new GoalClient(s.meta()).status(UserInfo.ROOT);
    } catch (CatenaException e) {
      return null;
    }
  }

  static Map<String, Object> doc(GoalStatus g) {
    return g == null ? null : Views.obj("moving_files", g.movingFiles(), "under_goal_files", g.underGoalFiles(),
        "old_copies", g.oldCopies());
  }

  static String summary(GoalStatus g) {
    return g == null ? "goals: meta not reachable" : "goals: " + g.movingFiles() + " files moving ("
        + g.underGoalFiles() + " under goal), " + g.oldCopies() + " old copies to remove";
  }
}
