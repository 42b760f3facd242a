package io.catena.mgmtd.server;

import io.catena.mgmtd.exports.ExportsRpc;
import io.catena.mgmtd.exports.proto.GetExportsReply;
import io.catena.rpc.RpcReply;
import io.catena.rpc.ServiceDefinition;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Serves an {@link ExportsFile} as service {@link ExportsRpc#SERVICE_ID}: the rules' text and version, or
 * "unchanged" to a caller that holds the current version. Answered on the I/O thread (an in-memory read).
 * Stateless around the (thread-safe) file.
 */
public final class ExportsService {
  private ExportsService() {}

  public static ServiceDefinition definition(ExportsFile exports) {
    return ServiceDefinition.builder(ExportsRpc.SERVICE_NAME, ExportsRpc.SERVICE_ID)
        .inlineMethod(ExportsRpc.GET, call -> CompletableFuture.completedFuture(RpcReply.of(
            reply(exports, call.request().getKnownVersion()))))
        .build();
  }

  static GetExportsReply reply(ExportsFile exports, long known) {
    Optional<ExportsFile.Loaded> now = exports.current();
    if (now.isEmpty()) {
      return GetExportsReply.newBuilder().setConfigured(false).setUnchanged(known == 0).build();
    }
    long version = now.get().rules().version();
    GetExportsReply.Builder b = GetExportsReply.newBuilder().setConfigured(true).setVersion(version)
        .setSource(exports.file().map(Object::toString).orElse(""))
        .setLoadedAtMillis(now.get().loadedAtMillis());
    return known == version ? b.setUnchanged(true).build() : b.setText(now.get().rules().text()).build();
  }
}
