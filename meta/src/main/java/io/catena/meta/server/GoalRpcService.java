package io.catena.meta.server;

import com.google.protobuf.Message;
import io.catena.meta.goal.GoalClient;
import io.catena.meta.goal.GoalCounts;
import io.catena.meta.goal.GoalMethods;
import io.catena.meta.goal.GoalService;
import io.catena.meta.goal.GoalStatus;
import io.catena.meta.goal.proto.GoalStatusResponse;
import io.catena.meta.goal.proto.SetGoalResponse;
import io.catena.meta.rpc.MetaWire;
import io.catena.rpc.MethodDescriptor;
import io.catena.rpc.RpcHandler;
import io.catena.rpc.RpcReply;
import io.catena.rpc.ServiceDefinition;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Serves a {@link GoalService} as RPC service {@link GoalMethods#SERVICE_ID} on the worker pool (a recursive
 * set-goal runs many transactions). The caller's identity is pinned by its token as for the metadata service.
 * Thread-safe: stateless around the (thread-safe) service.
 */
public final class GoalRpcService {
  private GoalRpcService() {}

  public static ServiceDefinition definition(GoalService g) {
    ServiceDefinition.Builder b = ServiceDefinition.builder(GoalMethods.SERVICE_NAME, GoalMethods.SERVICE_ID);
    on(b, GoalMethods.SET_GOAL, r -> {
      GoalCounts c = g.setGoal(MetaWire.user(r.getUser()), r.getIno(), r.getGoal(), r.getRecursive());
      return SetGoalResponse.newBuilder().setChanged(c.changed()).setNotChanged(c.notChanged())
          .setNotPermitted(c.notPermitted()).build();
    });
    on(b, GoalMethods.GET_GOAL, r -> GoalClient.wire(g.getGoal(MetaWire.user(r.getUser()), r.getIno(),
        r.getRecursive())));
    on(b, GoalMethods.STATUS, r -> {
      GoalStatus s = g.status(MetaWire.user(r.getUser()));
      return GoalStatusResponse.newBuilder().setMovingFiles(s.movingFiles()).setUnderGoalFiles(s.underGoalFiles())
          .setOldCopies(s.oldCopies()).build();
    });
    return b.build();
  }

  private static <Req extends Message, Resp extends Message> void on(ServiceDefinition.Builder b,
      MethodDescriptor<Req, Resp> method, Function<Req, Resp> body) {
    RpcHandler<Req, Resp> h = call -> CompletableFuture.completedFuture(
        RpcReply.of(body.apply(CallerIdentity.effectiveRequest(call))));
    b.method(method, h);
  }
}
