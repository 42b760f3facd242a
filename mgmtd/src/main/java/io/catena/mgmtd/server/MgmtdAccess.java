package io.catena.mgmtd.server;

import io.catena.mgmtd.rpc.MgmtdMethods;
import io.catena.rpc.MethodDescriptor;
import io.catena.rpc.auth.TokenAuthenticator.Access;
import java.util.Set;

/**
 * Who may call which mgmtd method. What clients need to find and use the cluster (routing, config, their own
 * session, read-only listings) takes any user's token; everything else, node registration and heartbeats
 * included, takes an admin's, so a new method is admin-only until someone decides otherwise. Stateless.
 */
public final class MgmtdAccess {
  private static final Set<MethodDescriptor<?, ?>> ANY_USER = Set.of(
      MgmtdMethods.GET_ROUTING_INFO, MgmtdMethods.GET_CONFIG, MgmtdMethods.EXTEND_SESSION,
      MgmtdMethods.CLOSE_SESSION, MgmtdMethods.LIST_NODES, MgmtdMethods.LIST_TARGETS, MgmtdMethods.LIST_CHAINS,
      MgmtdMethods.LIST_CHAIN_TABLES);

  private MgmtdAccess() {}

  /** The access {@code method} needs; methods of other services are theirs to decide (USER here). */
  public static Access of(MethodDescriptor<?, ?> method) {
    if (method.serviceId() != MgmtdMethods.SERVICE_ID) {
      return Access.USER;
    }
    return ANY_USER.contains(method) ? Access.USER : Access.ADMIN;
  }
}
