package io.catena.mgmtd.exports;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.UserAccount;
import io.catena.rpc.RpcCall;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.Optional;

/**
 * What one server (meta, storage) currently enforces: the export rules mgmtd serves, kept fresh by an
 * {@link ExportsWatcher}. Until the first answer from mgmtd the guard refuses client calls retryably (EAGAIN), so a
 * server never serves a window in which rules exist but are not known; once mgmtd says no file is configured,
 * everything is allowed as before. Server-to-server calls ({@link RpcCall#fromNode}) and calls that did not come
 * over TCP are never governed. Thread-safe: the rules are replaced atomically; checks read one snapshot.
 */
public final class ExportGuard {
  /** The rules in force: empty {@code rules} with {@code known}: no file configured, every client allowed. */
  private record State(boolean known, Optional<ExportRules> rules) {}

  private volatile State state = new State(false, Optional.empty());
  private final DenialLog denials;

  public ExportGuard(Clock clock) {
    this.denials = new DenialLog(clock);
  }

  /** A guard that allows everything (servers that enforce no exports, in-process tests). */
  public static ExportGuard open() {
    ExportGuard g = new ExportGuard(Clock.systemUTC());
    g.update(Optional.empty());
    return g;
  }

  /** Installs what mgmtd serves: rules, or empty when no exports file is configured. */
  public void update(Optional<ExportRules> rules) {
    state = new State(true, rules);
  }

  /** The version in force; 0 before mgmtd answered or when no file is configured. */
  public long version() {
    return state.rules().map(ExportRules::version).orElse(0L);
  }

  public boolean known() {
    return state.known();
  }

  /**
   * The rule a client call runs under (empty: not governed: no rules configured, server traffic or not TCP), or a
   * {@link CatenaException}: EACCES when no rule matches the peer or the token's user is not among {@code users=},
   * EROFS when {@code modifies} and the rule is read-only, EAGAIN (retryable) before the rules are known.
   */
  public Optional<ExportRule> check(RpcCall<?> call, boolean modifies) {
    return check(call, modifies, Optional.empty());
  }

  /**
   * As {@link #check(RpcCall, boolean)} for a client that mounted {@code subdir}: the rule is the first that matches
   * address, user and subdirectory ({@link ExportRules#match(InetAddress, Optional, String)}), so a client matching
   * only rules for {@code /p} is refused a mount of {@code /} with EACCES. Without a subdirectory (storage, which
   * does not know the mount's) the first rule matching address and user decides.
   */
  public Optional<ExportRule> check(RpcCall<?> call, boolean modifies, Optional<String> subdir) {
    if (call.fromNode() || !(call.remoteAddress() instanceof InetSocketAddress peer) || peer.getAddress() == null) {
      return Optional.empty();
    }
    State s = state;
    if (!s.known()) {
      throw CatenaException.retryable(Errno.EAGAIN, "this server has not yet received the export rules from mgmtd;"
          + " retry");
    }
    if (s.rules().isEmpty()) {
      return Optional.empty();
    }
    InetAddress address = peer.getAddress();
    Optional<UserAccount> user = call.caller();
    Optional<ExportRule> first = s.rules().get().match(address);
    if (first.isEmpty()) {
      throw deny(call, address, user, Errno.EACCES, "no export rule matches address " + address.getHostAddress());
    }
    Optional<ExportRule> rule = s.rules().get().match(address, user, subdir.orElse(null));
    if (rule.isEmpty()) {
      String who = "user " + user.map(UserAccount::name).orElse("(none)");
      throw deny(call, address, user, Errno.EACCES, subdir.isEmpty()
          ? who + " is not among users= of any export rule for address " + address.getHostAddress()
          : "no export rule for address " + address.getHostAddress() + " admits " + who + " and subdirectory "
              + subdir.get());
    }
    ExportRule r = rule.get();
    if (modifies && r.readOnly()) {
      throw deny(call, address, user, Errno.EROFS, "export rule " + r + " is read-only");
    }
    return rule;
  }

  private CatenaException deny(RpcCall<?> call, InetAddress address, Optional<UserAccount> user, Errno errno,
      String reason) {
    String who = user.map(u -> u.name() + " (uid " + u.uid() + ")").orElse("(no token)");
    denials.denied(address.getHostAddress(), who, call.method().fullName(), reason);
    return CatenaException.of(errno, "%s", reason);
  }
}
