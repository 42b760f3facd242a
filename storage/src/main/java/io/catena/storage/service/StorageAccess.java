package io.catena.storage.service;

import io.catena.rpc.MethodDescriptor;
import io.catena.rpc.auth.TokenAuthenticator.Access;
import io.catena.storage.StorageRpc;
import java.util.Set;

/**
 * Who may call which storage method: clients read and write chunks with any user's token (meta decided, when the
 * file was opened, whether they may); chain forwarding, resync, truncation, removal and target management are the
 * cluster's own business and take an admin's token, which the daemons run with. Stateless.
 */
public final class StorageAccess {
  private static final Set<MethodDescriptor<?, ?>> ANY_USER = Set.of(StorageRpc.WRITE, StorageRpc.READ,
      StorageRpc.QUERY_LAST_CHUNK, StorageRpc.SPACE);

  private StorageAccess() {}

  public static Access of(MethodDescriptor<?, ?> method) {
    return ANY_USER.contains(method) ? Access.USER : Access.ADMIN;
  }
}
