package io.catena.meta.server;

import com.google.protobuf.Message;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.UserAccount;
import io.catena.meta.OpenFlags;
import io.catena.meta.proto.AccessRequest;
import io.catena.meta.proto.OpenRequest;
import io.catena.meta.proto.SetTrashTimeRequest;
import io.catena.meta.goal.proto.SetGoalRequest;
import io.catena.meta.proto.User;
import io.catena.meta.rpc.MetaWire;
import io.catena.meta.goal.GoalMethods;
import io.catena.meta.rpc.MetaMethods;
import io.catena.meta.rpc.TrashMethods;
import io.catena.mgmtd.exports.ExportPolicy;
import io.catena.mgmtd.exports.ExportRule;
import io.catena.mgmtd.exports.IdMapping;
import io.catena.mgmtd.exports.MappedCall;
import io.catena.rpc.MethodDescriptor;
import io.catena.rpc.RpcCall;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * How meta's calls meet the export rules. Every call that changes the namespace, an inode or its data length is a
 * modification (EROFS under a read-only rule), and so are an open for writing or truncation and access(W_OK), as on
 * a read-only mount; close and sync stay allowed so bytes written before a rule turned read-only are not lost. Under
 * {@code maproot}/{@code mapall} the caller's uid and gid are replaced (supplementary groups dropped) before
 * {@link CallerIdentity} and the permission checks see them, so a squashed root creates files as the mapped user.
 * Stateless.
 */
final class MetaExports implements ExportPolicy {
  /**
   * The calls that only read (and close/sync, see above). Everything else is a modification, so a method added later
   * (snapshot, trash restore, set-goal...) is refused under a read-only rule until someone decides otherwise.
   */
  private static final Set<MethodDescriptor<?, ?>> READ = Set.of(MetaMethods.STATFS, MetaMethods.LOOKUP,
      MetaMethods.GETATTR, MetaMethods.BATCH_GETATTR, MetaMethods.READLINK, MetaMethods.READDIR, MetaMethods.RESOLVE,
      MetaMethods.REALPATH, MetaMethods.GETXATTR, MetaMethods.LISTXATTR, MetaMethods.SET_LOCK, MetaMethods.GET_LOCK,
      MetaMethods.GET_QUOTA, MetaMethods.SYNC, MetaMethods.CLOSE, TrashMethods.GET_TRASH_TIME,
      TrashMethods.LIST_TRASH, GoalMethods.GET_GOAL, GoalMethods.STATUS);
  private static final int W_OK = 2;

  static final MetaExports INSTANCE = new MetaExports();

  private MetaExports() {}

  @Override
  public Need need(RpcCall<?> call) {
    if (call.request() instanceof OpenRequest o) {
      int f = o.getFlags();
      return (f & OpenFlags.O_ACCMODE) != OpenFlags.O_RDONLY || (f & OpenFlags.O_TRUNC) != 0 ? Need.MODIFY
          : Need.READ;
    }
    if (call.request() instanceof AccessRequest a) {
      return (a.getMask() & W_OK) != 0 ? Need.MODIFY : Need.READ;
    }
    return READ.contains(call.method()) ? Need.READ : Need.MODIFY;
  }

  @Override
  public Optional<String> subdir(RpcCall<?> call) {
    return Optional.of(subdirOf(call.request()));
  }

  /**
   * The subdirectory a request's client mounted ({@code User.subdir}), normalised; {@code "/"} when the request
   * has no user or names none.
   *
   * @throws io.catena.common.CatenaException EINVAL for a malformed path (relative, with "." or "..")
   */
  static String subdirOf(Message req) {
    String s = MetaWire.callerOf(req).map(User::getSubdir).orElse("");
    if (s.isEmpty() || s.equals("/")) {
      return "/";
    }
    try {
      return ExportRule.normalSubdir(s);
    } catch (IllegalArgumentException e) {
      throw CatenaException.of(Errno.EINVAL, "mounted subdirectory: %s", e.getMessage());
    }
  }

  @Override
  public <Req extends Message> RpcCall<Req> apply(RpcCall<Req> call, ExportRule rule) {
    checkBounds(call.request(), rule);
    if (rule.mapRoot().isEmpty() && rule.mapAll().isEmpty()) {
      return call;
    }
    Req req = CallerIdentity.effectiveRequest(call); // the identity the token allows, then the export's mapping
    Optional<UserAccount> caller = call.caller().map(a -> mapped(a, rule));
    Optional<IdMapping> m = MetaWire.callerOf(req).flatMap(u -> rule.mappingFor(Integer.toUnsignedLong(u.getUid())));
    if (m.isEmpty()) {
      return new MappedCall<>(call, req, caller);
    }
    Req out = MetaWire.withUser(req, u -> User.newBuilder().setUid((int) m.get().uid()).setGid((int) m.get().gid())
        .setSubdir(u.getSubdir()).build());
    return new MappedCall<>(call, out, caller);
  }

  /**
   * The goal and trash-time bounds of the rule the call runs under ({@code mingoal}/{@code maxgoal},
   * {@code mintrashtime}/{@code maxtrashtime}), as MooseFS applies them to mfssetgoal/mfssettrashtime: a value
   * outside them is EPERM, naming the rule. They hold for every call the rule governs, an admin token's included
   * (only server-to-server traffic is not governed); a rule without bounds allows what the feature allows.
   */
  static void checkBounds(Message req, ExportRule rule) {
    if (req instanceof SetGoalRequest g) {
      int goal = g.getGoal();
      if (rule.minGoal().isPresent() && goal < rule.minGoal().getAsInt()
          || rule.maxGoal().isPresent() && goal > rule.maxGoal().getAsInt()) {
        throw CatenaException.of(Errno.EPERM, "export rule %s allows goals %s, not %d", rule,
            bounds(rule.minGoal().isPresent() ? String.valueOf(rule.minGoal().getAsInt()) : null,
                rule.maxGoal().isPresent() ? String.valueOf(rule.maxGoal().getAsInt()) : null), goal);
      }
    } else if (req instanceof SetTrashTimeRequest t) {
      long seconds = t.getSeconds();
      if (rule.minTrashTime().isPresent() && seconds < rule.minTrashTime().get().toSeconds()
          || rule.maxTrashTime().isPresent() && seconds > rule.maxTrashTime().get().toSeconds()) {
        throw CatenaException.of(Errno.EPERM, "export rule %s allows trash times %s, not %ds", rule,
            bounds(rule.minTrashTime().map(d -> d.toSeconds() + "s").orElse(null),
                rule.maxTrashTime().map(d -> d.toSeconds() + "s").orElse(null)), seconds);
      }
    }
  }

  private static String bounds(String min, String max) {
    if (min != null && max != null) {
      return min + ".." + max;
    }
    return min != null ? "at least " + min : "at most " + max;
  }

  /** The token's account as the rule makes it (an admin stays an admin: it may still speak for mapped callers). */
  private static UserAccount mapped(UserAccount a, ExportRule rule) {
    return rule.mappingFor(a.uid()).map(m -> new UserAccount(m.uid(), a.name(), m.gid(), List.of(), a.admin()))
        .orElse(a);
  }
}
