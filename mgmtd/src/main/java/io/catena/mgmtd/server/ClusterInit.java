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

  /**
   * Initializes the cluster and returns the admin's token (shown once: only its hash is stored).
   *
   * @throws CatenaException EEXIST if the store already holds a cluster, EINVAL for a bad id or user name
   */
  public static String initialize(KvEngine kv, String clusterId, UserAccount admin) {
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
    ClusterStore store = new ClusterStore();
    String token = Tokens.newToken();
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
