package io.catena.admin;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.UserAccount;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigLoader;
import io.catena.kv.KvEngine;
import io.catena.kv.KvEngines;
import io.catena.mgmtd.server.ClusterInit;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code catena admin init-cluster}: the first step of a deployment, against the KV store before any mgmtd serves
 * it: stamps the cluster id and creates the first admin user, whose token it prints (or writes to a new 0600 file).
 */
@Command(name = "init-cluster", sortOptions = false,
    description = {"Initialize a cluster in an empty KV store: its id and the first admin user.",
        "Run it once, before the first mgmtd starts on the store; it refuses (EEXIST) a store that holds a cluster. "
            + "The admin's token is printed once (mgmtd keeps only its hash): keep it, e.g. with --token-file."},
    footer = ExitCodes.FOOTER)
final class InitClusterCommand extends AdminCall {
  @Option(names = "--kv", paramLabel = "URL", required = true,
      description = "the KV store: rocksdb:///path (mgmtd's kv.engine_url) or mem:// (tests)")
  String kv;

  @Option(names = "--cluster-id", paramLabel = "ID", required = true, description = "1-64 of [A-Za-z0-9_.-]")
  String clusterId;

  @Option(names = "--admin-name", paramLabel = "NAME", defaultValue = "root",
      description = "name of the first admin (default: ${DEFAULT-VALUE})")
  String adminName;

  @Option(names = "--admin-uid", paramLabel = "UID", defaultValue = "0",
      description = "its uid (default: ${DEFAULT-VALUE}); gid is the same")
  long adminUid;

  @Option(names = "--token-file", paramLabel = "OUT",
      description = "write the admin token to this new file (mode 0600) instead of printing it")
  Path tokenFile;

  @Mixin
  JsonOption output;

  @Override
  int run() {
    UserCommands.checkTokenOut(tokenFile);
    UserAccount admin;
    try {
      admin = new UserAccount(adminUid, adminName, adminUid, java.util.List.of(), true);
    } catch (IllegalArgumentException e) {
      throw CatenaException.of(Errno.EINVAL, "%s", e.getMessage());
    }
    Config config = ConfigLoader.load(ConnectionOptions.SCHEMA, null, System.getenv(), Map.of());
    String token;
    try (KvEngine engine = KvEngines.open(kv, config)) {
      token = ClusterInit.initialize(engine, clusterId, admin);
    }
    if (output.json) {
      var doc = Views.obj("cluster_id", clusterId, "admin", Views.user(admin));
      if (tokenFile == null) {
        doc.put("token", token);
      } else {
        UserCommands.deliverToken(this, token, tokenFile);
        doc.put("token_file", tokenFile.toString());
      }
      out().println(Json.write(doc));
      out().flush();
    } else {
      err().println("initialized cluster '" + clusterId + "' in " + kv + "; admin '" + adminName + "' (uid "
          + adminUid + ")");
      UserCommands.deliverToken(this, token, tokenFile);
    }
    return ExitCodes.OK;
  }

  @Override
  String hint(CatenaException e) {
    return e.errno() == Errno.EEXIST && e.getMessage().contains("already holds cluster")
        ? "this store is initialized already: start mgmtd on it, or pass another --kv" : null;
  }
}
