package io.catena.admin;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.UserAccount;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigLoader;
import io.catena.kv.KvEngine;
import io.catena.kv.KvEngines;
import io.catena.mgmtd.server.ClusterInit;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
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
            + "The admin's token is printed once (mgmtd keeps only its hash): keep it, e.g. with --token-file.",
        "Orchestrators that run it before every start give the token themselves (--admin-token-from) and "
            + "--exists-ok."},
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

  @Option(names = "--admin-token-from", paramLabel = "FILE",
      description = "use the token in FILE (its first line; at least " + ClusterInit.MIN_GIVEN_TOKEN_LENGTH
          + " printable characters, e.g. a Kubernetes Secret generated at install) instead of a new random one")
  Path adminTokenFrom;

  @Option(names = "--exists-ok", description = "succeed without changing anything when the store holds this cluster "
      + "already (and the --admin-token-from token is an admin's there): for steps run at every start")
  boolean existsOk;

  @Mixin
  JsonOption output;

  @Override
  int run() {
    if (tokenFile != null && adminTokenFrom != null) {
      throw CatenaException.of(Errno.EINVAL, "give --token-file (a new token is written there) or --admin-token-from"
          + " (the token is in that file already), not both");
    }
    String given = adminTokenFrom == null ? null : readToken(adminTokenFrom);
    if (!existsOk) {
      UserCommands.checkTokenOut(tokenFile);
    }
    UserAccount admin;
    try {
      admin = new UserAccount(adminUid, adminName, adminUid, java.util.List.of(), true);
    } catch (IllegalArgumentException e) {
      throw CatenaException.of(Errno.EINVAL, "%s", e.getMessage());
    }
    Config config = ConfigLoader.load(ConnectionOptions.SCHEMA, null, System.getenv(), Map.of());
    Optional<String> token;
    try (KvEngine engine = KvEngines.open(kv, config)) {
      if (existsOk) {
        if (ClusterInit.clusterOf(engine).isEmpty()) {
          UserCommands.checkTokenOut(tokenFile);
        }
        token = ClusterInit.initializeIfAbsent(engine, clusterId, admin, given);
      } else {
        token = Optional.of(given == null ? ClusterInit.initialize(engine, clusterId, admin)
            : ClusterInit.initialize(engine, clusterId, admin, given));
      }
    }
    boolean deliver = token.isPresent() && given == null;
    if (output.json) {
      var doc = Views.obj("cluster_id", clusterId, "initialized", token.isPresent());
      if (token.isPresent()) {
        doc.put("admin", Views.user(admin));
      }
      if (adminTokenFrom != null) {
        doc.put("token_file", adminTokenFrom.toString());
      } else if (deliver && tokenFile == null) {
        doc.put("token", token.get());
      } else if (deliver) {
        UserCommands.deliverToken(this, token.get(), tokenFile);
        doc.put("token_file", tokenFile.toString());
      }
      out().println(Json.write(doc));
      out().flush();
    } else if (token.isEmpty()) {
      err().println("cluster '" + clusterId + "' is initialized in " + kv + " already; nothing changed");
    } else {
      err().println("initialized cluster '" + clusterId + "' in " + kv + "; admin '" + adminName + "' (uid "
          + adminUid + ")" + (given == null ? "" : " with the token in " + adminTokenFrom));
      if (deliver) {
        UserCommands.deliverToken(this, token.get(), tokenFile);
      }
    }
    return ExitCodes.OK;
  }

  private static String readToken(Path file) {
    try {
      String text = Files.readString(file, StandardCharsets.UTF_8);
      int nl = text.indexOf('\n');
      return (nl < 0 ? text : text.substring(0, nl)).strip();
    } catch (IOException e) {
      throw CatenaException.of(Errno.ENOENT, "cannot read the admin token from %s (%s)", file, e.getMessage());
    }
  }

  @Override
  String hint(CatenaException e) {
    return e.errno() == Errno.EEXIST && e.getMessage().contains("already holds cluster")
        ? "this store is initialized already: start mgmtd on it, or pass another --kv" : null;
  }
}
