package io.catena.metalogger;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.catena.common.CatenaException;
import io.catena.common.net.Address;
import io.catena.kv.KvDump;
import io.catena.metalogger.proto.ChangesRequest;
import io.catena.metalogger.proto.ChangesResponse;
import io.catena.metalogger.proto.CloseCheckpointRequest;
import io.catena.metalogger.proto.OpenCheckpointRequest;
import io.catena.metalogger.proto.OpenCheckpointResponse;
import io.catena.metalogger.proto.Pair;
import io.catena.metalogger.proto.ReadCheckpointRequest;
import io.catena.metalogger.proto.ReadCheckpointResponse;
import io.catena.metalogger.rpc.MetalogMethods;
import io.catena.rpc.CallOptions;
import io.catena.rpc.MethodDescriptor;
import io.catena.rpc.RpcClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionException;

/**
 * Calls one control process's metadata log service: blocking calls, each with its own timeout; errors are thrown as
 * {@link CatenaException} (connection trouble is retryable). Thread-safe (the RPC client is).
 */
public final class MetalogClient {
  private static final int PAGE_BYTES = 1 << 20;

  private final RpcClient rpc;
  private final Address address;
  private final Duration timeout;

  public MetalogClient(RpcClient rpc, Address address, Duration timeout) {
    this.rpc = rpc;
    this.address = address;
    this.timeout = timeout;
  }

  public Address address() {
    return address;
  }

  /**
   * Reads a whole checkpoint of the store into a dump file ({@link KvDump} format) and returns its header: the
   * consistent state at one committed version, read page by page from a snapshot the server pins meanwhile.
   */
  public KvDump.Header checkpoint(Path file, Instant now) {
    OpenCheckpointResponse open = call(MetalogMethods.OPEN_CHECKPOINT, OpenCheckpointRequest.getDefaultInstance(),
        timeout);
    try (KvDump.Writer w = new KvDump.Writer(file, open.getEngine(), open.getVersion(), now)) {
      ByteString after = null;
      while (true) {
        ReadCheckpointRequest.Builder req = ReadCheckpointRequest.newBuilder()
            .setCheckpointId(open.getCheckpointId()).setMaxBytes(PAGE_BYTES);
        if (after != null) {
          req.setAfterKey(after);
        }
        ReadCheckpointResponse page = call(MetalogMethods.READ_CHECKPOINT, req.build(), timeout);
        for (Pair p : page.getPairsList()) {
          w.add(p.getKey().toByteArray(), p.getValue().toByteArray());
        }
        if (page.getDone()) {
          return w.finish();
        }
        after = page.getPairs(page.getPairsCount() - 1).getKey();
      }
    } finally {
      try {
        call(MetalogMethods.CLOSE_CHECKPOINT, CloseCheckpointRequest.newBuilder()
            .setCheckpointId(open.getCheckpointId()).build(), timeout);
      } catch (CatenaException ignored) {
        // the server releases it when idle
      }
    }
  }

  /** The committed changes after {@code version}, waiting up to {@code wait} for the first. */
  public ChangesResponse changes(long version, int maxBytes, Duration wait) {
    return call(MetalogMethods.CHANGES, ChangesRequest.newBuilder().setAfterVersion(version).setMaxBytes(maxBytes)
        .setWaitMillis((int) wait.toMillis()).build(), timeout.plus(wait));
  }

  /** The loggers following the control process, as it sees them. */
  public io.catena.metalogger.proto.ListLoggersResponse listLoggers() {
    return call(MetalogMethods.LIST_LOGGERS, io.catena.metalogger.proto.ListLoggersRequest.getDefaultInstance(),
        timeout);
  }

  private <Q extends Message, R extends Message> R call(MethodDescriptor<Q, R> m, Q req, Duration t) {
    try {
      return rpc.call(address, m, req, null, CallOptions.timeout(t)).join().message();
    } catch (CompletionException e) {
      if (e.getCause() instanceof CatenaException ce) {
        throw ce;
      }
      throw new CatenaException(CatenaException.statusOf(e.getCause()), e.getCause());
    }
  }
}
