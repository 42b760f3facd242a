package io.catena.mgmtd.exports;

import io.catena.mgmtd.exports.proto.GetExportsReply;
import io.catena.mgmtd.exports.proto.GetExportsRequest;
import io.catena.rpc.MethodDescriptor;

/** The wire address of the export rules mgmtd serves: service 41, one method. Immutable. */
public final class ExportsRpc {
  private ExportsRpc() {}

  public static final int SERVICE_ID = 41;
  public static final String SERVICE_NAME = "catena.exports.Exports";

  public static final MethodDescriptor<GetExportsRequest, GetExportsReply> GET = MethodDescriptor.of(SERVICE_ID, 1,
      SERVICE_NAME + "/Get", GetExportsRequest.getDefaultInstance(), GetExportsReply.getDefaultInstance());
}
