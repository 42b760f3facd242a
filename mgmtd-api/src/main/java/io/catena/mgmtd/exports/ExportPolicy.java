package io.catena.mgmtd.exports;

import com.google.protobuf.Message;
import io.catena.rpc.RpcCall;

/** How one service's calls meet the export rules: which they govern and how a rule changes a call. Stateless. */
public interface ExportPolicy {
  /** What a call asks of its export. */
  enum Need {
    /** Not a client's call (server-to-server methods): the rules do not apply. */
    NONE,
    /** Reads: any matching rule. */
    READ,
    /** Changes the file system: refused with EROFS under a read-only rule. */
    MODIFY
  }

  Need need(RpcCall<?> call);

  /** The call as the handler should see it under {@code rule} (e.g. with the caller's uid mapped); default as is. */
  default <Req extends Message> RpcCall<Req> apply(RpcCall<Req> call, ExportRule rule) {
    return call;
  }
}
