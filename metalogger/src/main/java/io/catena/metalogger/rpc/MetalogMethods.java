package io.catena.metalogger.rpc;

import io.catena.metalogger.proto.ChangesRequest;
import io.catena.metalogger.proto.ChangesResponse;
import io.catena.metalogger.proto.CloseCheckpointRequest;
import io.catena.metalogger.proto.CloseCheckpointResponse;
import io.catena.metalogger.proto.OpenCheckpointRequest;
import io.catena.metalogger.proto.OpenCheckpointResponse;
import io.catena.metalogger.proto.ReadCheckpointRequest;
import io.catena.metalogger.proto.ReadCheckpointResponse;
import io.catena.rpc.MethodDescriptor;

/** The methods of the metadata log service; ids never change meaning. Stateless. */
public final class MetalogMethods {
  public static final int SERVICE_ID = 15;
  public static final String SERVICE_NAME = "catena.metalog.Metalog";

  public static final MethodDescriptor<OpenCheckpointRequest, OpenCheckpointResponse> OPEN_CHECKPOINT =
      MethodDescriptor.of(SERVICE_ID, 1, SERVICE_NAME + "/OpenCheckpoint", OpenCheckpointRequest.getDefaultInstance(),
          OpenCheckpointResponse.getDefaultInstance());
  public static final MethodDescriptor<ReadCheckpointRequest, ReadCheckpointResponse> READ_CHECKPOINT =
      MethodDescriptor.of(SERVICE_ID, 2, SERVICE_NAME + "/ReadCheckpoint", ReadCheckpointRequest.getDefaultInstance(),
          ReadCheckpointResponse.getDefaultInstance());
  public static final MethodDescriptor<CloseCheckpointRequest, CloseCheckpointResponse> CLOSE_CHECKPOINT =
      MethodDescriptor.of(SERVICE_ID, 3, SERVICE_NAME + "/CloseCheckpoint",
          CloseCheckpointRequest.getDefaultInstance(), CloseCheckpointResponse.getDefaultInstance());
  public static final MethodDescriptor<ChangesRequest, ChangesResponse> CHANGES =
      MethodDescriptor.of(SERVICE_ID, 4, SERVICE_NAME + "/Changes", ChangesRequest.getDefaultInstance(),
          ChangesResponse.getDefaultInstance());

  public static final MethodDescriptor<io.catena.metalogger.proto.ListLoggersRequest,
      io.catena.metalogger.proto.ListLoggersResponse> LIST_LOGGERS = MethodDescriptor.of(SERVICE_ID, 5,
          SERVICE_NAME + "/ListLoggers", io.catena.metalogger.proto.ListLoggersRequest.getDefaultInstance(),
          io.catena.metalogger.proto.ListLoggersResponse.getDefaultInstance());

  private MetalogMethods() {}
}
