package io.catena.mgmtd.exports;

import com.google.protobuf.Message;
import io.catena.rpc.RpcCall;
import java.util.Optional;

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

  /**
   * The subdirectory the client mounted, as the call states it (normalised, {@code "/"} for the whole tree), which
   * takes part in choosing the rule; empty when the service does not know (storage): then the first rule matching
   * address and user decides, whatever its path.
   *
   * @throws io.catena.common.CatenaException EINVAL when the call names a malformed path
   */
  default Optional<String> subdir(RpcCall<?> call) {
    return Optional.empty();
  }

  /** The call as the handler should see it under {@code rule} (e.g. with the caller's uid mapped); default as is. */
  default <Req extends Message> RpcCall<Req> apply(RpcCall<Req> call, ExportRule rule) {
    return call;
  }
}
