package io.catena.storage.service;

import io.catena.mgmtd.exports.ExportPolicy;
import io.catena.rpc.MethodDescriptor;
import io.catena.rpc.RpcCall;
import io.catena.storage.StorageRpc;
import java.util.Set;

/**
 * How storage's calls meet the export rules. Chunk writes, truncation, removal and resync change data: EROFS for a
 * client under a read-only rule. Reads and space figures need any matching rule. Target management is the
 * operator's (admin tokens, not a client's data path) and is not governed. Server-to-server calls (chain
 * forwarding, meta removing chunks) carry the node flag and are exempt in {@code ExportGuard}. Stateless.
 */
final class StorageExports implements ExportPolicy {
  private static final Set<MethodDescriptor<?, ?>> MODIFY = Set.of(StorageRpc.WRITE, StorageRpc.UPDATE,
      StorageRpc.TRUNCATE, StorageRpc.REMOVE_RANGE, StorageRpc.SYNC_START, StorageRpc.SYNC_DONE);
  private static final Set<MethodDescriptor<?, ?>> READ = Set.of(StorageRpc.READ, StorageRpc.QUERY_LAST_CHUNK,
      StorageRpc.SPACE);

  static final StorageExports INSTANCE = new StorageExports();

  private StorageExports() {}

  @Override
  public Need need(RpcCall<?> call) {
    MethodDescriptor<?, ?> m = call.method();
    return MODIFY.contains(m) ? Need.MODIFY : READ.contains(m) ? Need.READ : Need.NONE;
  }
}
