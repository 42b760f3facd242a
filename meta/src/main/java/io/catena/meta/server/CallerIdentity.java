package io.catena.meta.server;

import com.google.protobuf.Message;
import io.catena.common.cluster.UserAccount;
import io.catena.meta.proto.User;
import io.catena.meta.rpc.MetaWire;
import io.catena.rpc.RpcCall;
import java.util.Optional;

/**
 * Whose permissions a meta request is checked with. Every request names a caller (uid, gid, groups). A token of
 * root (uid 0) or an admin may speak for anyone: that is how a FUSE daemon passes on each process's identity. Any
 * other token pins the caller to its own user, whatever the request claims, so an ordinary user's token never
 * reaches further than that user's permissions. Servers that check no tokens (in-process tests) take the request
 * as it is. Stateless.
 */
final class CallerIdentity {
  private CallerIdentity() {}

  static <Req extends Message> Req effectiveRequest(RpcCall<Req> call) {
    Req req = call.request();
    Optional<UserAccount> caller = call.caller();
    if (caller.isEmpty() || mayActForOthers(caller.get())) {
      return req;
    }
    // Where the client mounted is not an identity: it stays.
    return MetaWire.withUser(req, u -> toProto(caller.get()).toBuilder().setSubdir(u.getSubdir()).build());
  }

  static boolean mayActForOthers(UserAccount account) {
    return account.admin() || account.uid() == 0;
  }

  private static User toProto(UserAccount a) {
    User.Builder b = User.newBuilder().setUid((int) a.uid()).setGid((int) a.gid());
    for (long g : a.groups()) {
      b.addGroups((int) g);
    }
    return b.build();
  }
}
