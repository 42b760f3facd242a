package io.catena.admin;

import io.catena.common.config.Config;
import io.catena.common.config.ConfigLoader;
import io.catena.kv.KvCopy;
import io.catena.kv.KvEngine;
import io.catena.kv.KvEngines;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code catena admin kv-copy}: moves a stopped cluster's whole store (cluster state and namespace) from one KV engine
 * to another, e.g. from the embedded RocksDB of a single-machine cluster onto etcd. See {@link KvCopy}.
 */
@Command(name = "kv-copy", sortOptions = false,
    description = {"Copy every key of a KV store into an empty one (offline: stop every process of the cluster "
        + "first), e.g. from rocksdb:///DATA/control/kv to etcd://host:2379/catena.",
        "Resumable: rerun the same command after an interruption. Verified: both stores are hashed key by key "
            + "(SHA-256) at the end. Then start mgmtd and meta on the new URL."},
    footer = ExitCodes.FOOTER)
final class KvCopyCommand extends AdminCall {
  @Option(names = "--from", paramLabel = "URL", required = true, description = "the source store")
  String from;

  @Option(names = "--to", paramLabel = "URL", required = true, description = "the destination store (empty)")
  String to;

  @Option(names = "--batch", paramLabel = "N", defaultValue = "100",
      description = "keys per destination transaction (default: ${DEFAULT-VALUE}; etcd allows 127 with progress)")
  int batch;

  @Mixin
  JsonOption output;

  @Override
  int run() {
    Config config = ConfigLoader.load(ConnectionOptions.SCHEMA, null, System.getenv(), Map.of());
    KvCopy.Result r;
    try (KvEngine source = KvEngines.open(from, config); KvEngine dest = KvEngines.open(to, config)) {
      // 1 MiB leaves room under etcd's 1.5 MiB request limit for the transaction's framing.
      r = new KvCopy(source, dest, batch, 1L << 20).run(n -> {
        err().print("\rcopied " + n + " keys");
        err().flush();
      });
    }
    err().println();
    if (output.json) {
      out().println(Json.write(Views.obj("from", from, "to", to, "copied", r.copied(), "keys", r.keys(),
          "sha256", r.sha256(), "resumed", r.resumed())));
    } else {
      out().println((r.resumed() ? "resumed and copied " : "copied ") + r.copied() + " keys; " + r.keys()
          + " keys on both sides, SHA-256 " + r.sha256() + " (verified)");
    }
    out().flush();
    return ExitCodes.OK;
  }
}
