package io.catena.meta.goal;

import com.google.protobuf.Message;
import io.catena.meta.goal.proto.GetGoalRequest;
import io.catena.meta.goal.proto.GetGoalResponse;
import io.catena.meta.goal.proto.GoalStatusRequest;
import io.catena.meta.goal.proto.GoalStatusResponse;
import io.catena.meta.goal.proto.SetGoalRequest;
import io.catena.meta.goal.proto.SetGoalResponse;
import io.catena.rpc.MethodDescriptor;
import java.util.List;

/**
 * The replication-goal service's methods (service id {@value #SERVICE_ID}, served by every meta server beside the
 * metadata service). Method ids never change meaning. Stateless.
 */
public final class GoalMethods {
  public static final int SERVICE_ID = 14;
  public static final String SERVICE_NAME = "catena.meta.Goal";

  public static final MethodDescriptor<SetGoalRequest, SetGoalResponse> SET_GOAL =
      m(1, "SetGoal", SetGoalRequest.getDefaultInstance(), SetGoalResponse.getDefaultInstance());
  public static final MethodDescriptor<GetGoalRequest, GetGoalResponse> GET_GOAL =
      m(2, "GetGoal", GetGoalRequest.getDefaultInstance(), GetGoalResponse.getDefaultInstance());
  public static final MethodDescriptor<GoalStatusRequest, GoalStatusResponse> STATUS =
      m(3, "Status", GoalStatusRequest.getDefaultInstance(), GoalStatusResponse.getDefaultInstance());

  public static final List<MethodDescriptor<?, ?>> ALL = List.of(SET_GOAL, GET_GOAL, STATUS);

  private GoalMethods() {}

  private static <Req extends Message, Resp extends Message> MethodDescriptor<Req, Resp> m(int id, String name,
      Req req, Resp resp) {
    return MethodDescriptor.of(SERVICE_ID, id, SERVICE_NAME + "/" + name, req, resp);
  }
}
