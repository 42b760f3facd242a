package io.catena.meta.goal;

import io.catena.meta.UserInfo;

/**
 * Replication goals (MooseFS's mfssetgoal/mfsgetgoal): a file's goal is the number of replicas of the chains its
 * chunks are on; a directory's goal is the one new files and directories in it get. Implementations are
 * thread-safe; errors are {@link io.catena.common.CatenaException}s.
 */
public interface GoalService {

  /**
   * Sets the goal of {@code ino} (and, with {@code recursive}, of everything beneath it). A directory changes at
   * once; a file whose goal changes is queued for the mover, which copies its chunks to a chain table of the new
   * replication in the background. Goals with no chain table of that replication, or beyond the number of storage
   * nodes, are refused (EINVAL) before anything changes. Only the owner or root may change an inode (others are
   * counted as not permitted).
   */
  GoalCounts setGoal(UserInfo user, long ino, int goal, boolean recursive);

  /** The goal of {@code ino}; with {@code recursive}, also the counts of goals beneath it. */
  GoalReport getGoal(UserInfo user, long ino, boolean recursive);

  /** The mover's backlog over the whole namespace. */
  GoalStatus status(UserInfo user);
}
