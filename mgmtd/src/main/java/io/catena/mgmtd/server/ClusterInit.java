package io.catena.mgmtd.server;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.UserAccount;
import io.catena.kv.KvEngine;
import io.catena.kv.TransactionRunner;
import java.util.Optional;

/**
 * The first step of every deployment: stamps an empty KV store with the cluster id and creates the first admin
 * user, whose token is the only way in (authentication is always on, so a store without users would lock everyone
 * out). Runs against the store before any mgmtd serves it, as 3FS's {@code init-cluster} does. Stateless.
 */
public final class ClusterInit {
  private ClusterInit() {}

  /** Shortest admin token {@link #initialize(KvEngine, String, UserAccount, String)} accepts from its caller. */
  public static final int MIN_GIVEN_TOKEN_LENGTH = 32;

  /**
   * Initializes the cluster and returns the admin's token (shown once: only its hash is stored).
   *
   * @throws CatenaException EEXIST if the store already holds a cluster, EINVAL for a bad id or user name
   */
  public static String initialize(KvEngine kv, String clusterId, UserAccount admin) {
    return initialize(kv, clusterId, admin, Tokens.newToken());
  }

  /**
   * Initializes the cluster with an admin token its caller chose (e.g. one an orchestrator generated into a secret
   * before anything ran): at least {@value #MIN_GIVEN_TOKEN_LENGTH} printable ASCII characters, no spaces.
   *
   * @throws CatenaException EEXIST if the store already holds a cluster, EINVAL for a bad id, user name or token
   */
  public static String initialize(KvEngine kv, String clusterId, UserAccount admin, String token) {
    if (clusterId == null || !clusterId.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")) {
      throw CatenaException.of(Errno.EINVAL, "bad cluster id '%s': 1-64 characters of [A-Za-z0-9_.-]", clusterId);
    }
    if (!UserAdmin.USER_NAME.matcher(admin.name()).matches()) {
      throw CatenaException.of(Errno.EINVAL, "bad user name '%s': 1-32 characters of [a-z0-9_.-], starting with a"
          + " letter or _", admin.name());
    }
    if (!admin.admin()) {
      throw CatenaException.of(Errno.EINVAL, "the first user must be an admin");
    }
    checkToken(token);
    ClusterStore store = new ClusterStore();
    TransactionRunner.withDefaults(kv).run(txn -> {
      Optional<String> existing = store.clusterId(txn);
      if (existing.isPresent()) {
        throw CatenaException.of(Errno.EEXIST, "this KV store already holds cluster '%s'", existing.get());
      }
      store.setClusterId(txn, clusterId);
      store.putUser(txn, new ClusterStore.StoredUser(admin, Tokens.hash(token)));
      return null;
    });
    return token;
  }

  /**
   * As {@link #initialize(KvEngine, String, UserAccount, String)} ({@code token} null: a new random one), for a step
   * that runs at every start and may race a copy of itself (Kubernetes init containers): a store that already holds
   * {@code clusterId} is left unchanged, after checking that {@code token}, if given, is an admin's token there.
   *
   * @return the token if this call initialized the store, empty if it held the cluster already
   * @throws CatenaException EEXIST if the store holds another cluster, EACCES if it holds this one but the given
   *     token is no admin's, EINVAL as {@code initialize}
   */
  public static Optional<String> initializeIfAbsent(KvEngine kv, String clusterId, UserAccount admin,
      String token) {
    if (token != null) {
      checkToken(token);
    }
    for (int attempt = 0; ; attempt++) {
      Optional<String> existing = clusterOf(kv);
      if (existing.isPresent()) {
        if (!existing.get().equals(clusterId)) {
          throw CatenaException.of(Errno.EEXIST, "this KV store already holds cluster '%s'", existing.get());
        }
        if (token != null && !isAdminToken(kv, token)) {
          throw CatenaException.of(Errno.EACCES, "this KV store holds cluster '%s', but the given token is no admin's"
              + " token there (was the token replaced while the store was kept?)", clusterId);
        }
        return Optional.empty();
      }
      try {
        return Optional.of(initialize(kv, clusterId, admin, token == null ? Tokens.newToken() : token));
      } catch (CatenaException e) {
        if (e.errno() != Errno.EEXIST || attempt > 0) {
          throw e;
        }
        // Another copy initialized it between the read and the commit: check what it wrote.
      }
    }
  }

  /** Whether {@code token} belongs to an admin user of the store's cluster. */
  public static boolean isAdminToken(KvEngine kv, String token) {
    ClusterStore store = new ClusterStore();
    return TransactionRunner.withDefaults(kv).read(txn -> {
      SnapshotView view = new SnapshotView(txn);
      return store.uidOfToken(view, Tokens.hash(token)).flatMap(uid -> store.user(view, uid))
          .map(u -> u.user().admin()).orElse(false);
    });
  }

  private static void checkToken(String token) {
    boolean printable = token != null && token.chars().allMatch(c -> c > 0x20 && c < 0x7f);
    if (!printable || token.length() < MIN_GIVEN_TOKEN_LENGTH) {
      throw CatenaException.of(Errno.EINVAL, "an admin token must be at least %d printable ASCII characters without"
          + " spaces", MIN_GIVEN_TOKEN_LENGTH);
    }
  }

  /** The cluster id stamped on the store, empty if it was never initialized. */
  public static Optional<String> clusterOf(KvEngine kv) {
    return TransactionRunner.withDefaults(kv).read(txn -> new ClusterStore().clusterId(new SnapshotView(txn)));
  }

  /**
   * Refuses to serve a store nobody initialized, or one of another cluster, with what to do about it. Processes
   * that host mgmtd call this before they start serving.
   */
  public static void requireInitialized(KvEngine kv, String clusterId) {
    Optional<String> cid = clusterOf(kv);
    if (cid.isEmpty()) {
      throw CatenaException.of(Errno.ENOENT, "the KV store %s holds no cluster; initialize it first: catena admin"
          + " init-cluster --kv %s --cluster-id %s --token-file FILE", kv.url(), kv.url(), clusterId);
    }
    if (!cid.get().equals(clusterId)) {
      throw CatenaException.of(Errno.EINVAL, "the KV store %s belongs to cluster '%s', not '%s' (cluster.id)",
          kv.url(), cid.get(), clusterId);
    }
  }
}
