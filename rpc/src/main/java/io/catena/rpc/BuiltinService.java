package io.catena.rpc;

import io.catena.rpc.proto.PingRequest;
import io.catena.rpc.proto.PingResponse;
import io.catena.rpc.proto.ServerInfoRequest;
import io.catena.rpc.proto.ServerInfoResponse;

/**
 * Service 0, answered by every server: health checks and the benchmark's cheapest round trip. Stateless.
 */
public final class BuiltinService {
  private BuiltinService() {}

  public static final int SERVICE_ID = 0;

  /** Echoes the payload and any attachment. */
  public static final MethodDescriptor<PingRequest, PingResponse> PING = MethodDescriptor.of(SERVICE_ID, 1,
      "catena.rpc.Builtin/Ping", PingRequest.getDefaultInstance(), PingResponse.getDefaultInstance());

  public static final MethodDescriptor<ServerInfoRequest, ServerInfoResponse> SERVER_INFO = MethodDescriptor.of(
      SERVICE_ID, 2, "catena.rpc.Builtin/ServerInfo", ServerInfoRequest.getDefaultInstance(),
      ServerInfoResponse.getDefaultInstance());

  /** Accepts an attachment and replies with nothing: the benchmark's upload sink. */
  public static final MethodDescriptor<PingRequest, PingResponse> DISCARD = MethodDescriptor.of(SERVICE_ID, 3,
      "catena.rpc.Builtin/Discard", PingRequest.getDefaultInstance(), PingResponse.getDefaultInstance());
}
