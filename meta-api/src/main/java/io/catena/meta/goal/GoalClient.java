package io.catena.meta.goal;

import io.catena.meta.UserInfo;
import io.catena.meta.client.MetaClient;
import io.catena.meta.goal.proto.GetGoalRequest;
import io.catena.meta.goal.proto.GetGoalResponse;
import io.catena.meta.goal.proto.GoalCount;
import io.catena.meta.goal.proto.GoalStatusRequest;
import io.catena.meta.goal.proto.GoalStatusResponse;
import io.catena.meta.goal.proto.SetGoalRequest;
import io.catena.meta.goal.proto.SetGoalResponse;
import io.catena.meta.rpc.MetaWire;
import java.util.TreeMap;

/**
 * {@link GoalService} over RPC, through a {@link MetaClient}'s servers, failover and deadline. Every call is safe to
 * retry: setting a goal twice ends in the same state (the counts of a retried call may say "not changed").
 * Thread-safe.
 */
public final class GoalClient implements GoalService {
  private final MetaClient meta;

  public GoalClient(MetaClient meta) {
    this.meta = meta;
  }

  @Override
  public GoalCounts setGoal(UserInfo user, long ino, int goal, boolean recursive) {
    SetGoalResponse r = meta.invoke(GoalMethods.SET_GOAL, SetGoalRequest.newBuilder().setUser(MetaWire.user(user))
        .setIno(ino).setGoal(goal).setRecursive(recursive).build());
    return new GoalCounts(r.getChanged(), r.getNotChanged(), r.getNotPermitted());
  }

  @Override
  public GoalReport getGoal(UserInfo user, long ino, boolean recursive) {
    GetGoalResponse r = meta.invoke(GoalMethods.GET_GOAL, GetGoalRequest.newBuilder().setUser(MetaWire.user(user))
        .setIno(ino).setRecursive(recursive).build());
    return report(r);
  }

  @Override
  public GoalStatus status(UserInfo user) {
    GoalStatusResponse r = meta.invoke(GoalMethods.STATUS, GoalStatusRequest.newBuilder()
        .setUser(MetaWire.user(user)).build());
    return new GoalStatus(r.getMovingFiles(), r.getUnderGoalFiles(), r.getOldCopies());
  }

  /** The record of a wire reply (shared with the server's encoder below). */
  public static GoalReport report(GetGoalResponse r) {
    TreeMap<Integer, Long> files = new TreeMap<>();
    TreeMap<Integer, Long> dirs = new TreeMap<>();
    for (GoalCount c : r.getCountsList()) {
      if (c.getFiles() > 0) {
        files.put(c.getGoal(), c.getFiles());
      }
      if (c.getDirectories() > 0) {
        dirs.put(c.getGoal(), c.getDirectories());
      }
    }
    return new GoalReport(r.getGoal(), r.getTargetGoal(), files, dirs, r.getMoving());
  }

  /** The wire reply of a record. */
  public static GetGoalResponse wire(GoalReport g) {
    GetGoalResponse.Builder b = GetGoalResponse.newBuilder().setGoal(g.goal()).setTargetGoal(g.targetGoal())
        .setMoving(g.moving());
    java.util.TreeSet<Integer> goals = new java.util.TreeSet<>(g.files().keySet());
    goals.addAll(g.directories().keySet());
    for (int k : goals) {
      b.addCounts(GoalCount.newBuilder().setGoal(k).setFiles(g.files().getOrDefault(k, 0L))
          .setDirectories(g.directories().getOrDefault(k, 0L)));
    }
    return b.build();
  }
}
