package io.catena.meta.goal;

/**
 * What {@code set-goal} did, counted as MooseFS's mfssetgoal reports it: inodes whose goal changed (or whose move
 * was queued), inodes already at that goal, and inodes the caller may not change (not the owner). Immutable.
 */
public record GoalCounts(long changed, long notChanged, long notPermitted) {

  public GoalCounts plus(GoalCounts o) {
    return new GoalCounts(changed + o.changed, notChanged + o.notChanged, notPermitted + o.notPermitted);
  }
}
