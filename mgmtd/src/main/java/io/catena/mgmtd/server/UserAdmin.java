package io.catena.mgmtd.server;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.UserAccount;
import java.util.List;
import java.util.regex.Pattern;

/**
 * User accounts and their tokens: only a token's hash is stored (see {@link Tokens}), so a new or rotated token is
 * shown once, to the caller that made it.
 *
 * <p>Not thread-safe: guarded by {@link MgmtdServer}'s lock.
 */
final class UserAdmin {
  static final Pattern USER_NAME = Pattern.compile("[a-z_][a-z0-9_.-]{0,31}");

  private final ClusterStore store;
  private final PrimaryLease lease;

  UserAdmin(ClusterStore store, PrimaryLease lease) {
    this.store = store;
    this.lease = lease;
  }

  /** Adds the user and returns its first token. */
  String add(UserAccount user) {
    if (!USER_NAME.matcher(user.name()).matches()) {
      throw CatenaException.of(Errno.EINVAL, "bad user name '%s': 1-32 characters of [a-z0-9_.-], starting with a"
          + " letter or _", user.name());
    }
    String token = Tokens.newToken();
    lease.write(txn -> {
      if (store.user(txn, user.uid()).isPresent()) {
        throw CatenaException.of(Errno.EEXIST, "uid %d is already used", user.uid());
      }
      for (ClusterStore.StoredUser u : store.users(txn)) {
        if (u.user().name().equals(user.name())) {
          throw CatenaException.of(Errno.EEXIST, "user name '%s' is already used by uid %d", user.name(),
              u.user().uid());
        }
      }
      store.putUser(txn, new ClusterStore.StoredUser(user, Tokens.hash(token)));
      return null;
    });
    return token;
  }

  /** Replaces the user's token: the old one stops working. */
  String rotateToken(long uid) {
    String token = Tokens.newToken();
    lease.write(txn -> {
      ClusterStore.StoredUser u = store.user(txn, uid)
          .orElseThrow(() -> CatenaException.of(Errno.ENOENT, "unknown uid %d", uid));
      store.clearUser(txn, u);
      store.putUser(txn, new ClusterStore.StoredUser(u.user(), Tokens.hash(token)));
      return null;
    });
    return token;
  }

  void remove(long uid) {
    lease.write(txn -> {
      store.clearUser(txn, store.user(txn, uid)
          .orElseThrow(() -> CatenaException.of(Errno.ENOENT, "unknown uid %d", uid)));
      return null;
    });
  }

  List<UserAccount> list() {
    return lease.read(store::users).stream().map(ClusterStore.StoredUser::user).toList();
  }

  UserAccount authenticate(String token) {
    byte[] hash = Tokens.hash(token);
    return lease.read(txn -> store.uidOfToken(txn, hash).flatMap(uid -> store.user(txn, uid)))
        .map(ClusterStore.StoredUser::user)
        .orElseThrow(() -> CatenaException.of(Errno.EKEYREJECTED, "unknown token"));
  }
}
