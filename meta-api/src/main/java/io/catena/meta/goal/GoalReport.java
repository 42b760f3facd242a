package io.catena.meta.goal;

import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The goal of one inode and, when asked recursively, how many files and directories beneath it (itself included)
 * have each goal. A file's goal is the replication of the chain table its chunks are on; while a move is pending
 * {@code targetGoal} is the goal it is moving to (0: none). A directory's goal is that of the chain table new files
 * in it get. Immutable.
 */
public record GoalReport(int goal, int targetGoal, SortedMap<Integer, Long> files,
    SortedMap<Integer, Long> directories, long moving) {

  public GoalReport {
    files = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(files));
    directories = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(directories));
  }

  public boolean isMoving() {
    return targetGoal != 0;
  }

  /** Moving to more replicas than it has: until the move ends the file has fewer copies than asked. */
  public boolean isUnderGoal() {
    return targetGoal > goal;
  }
}
