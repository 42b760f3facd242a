package io.catena.admin;

import io.catena.common.config.Config;
import io.catena.common.config.ConfigLoader;
import io.catena.kv.KvEngine;
import io.catena.kv.KvEngines;
import io.catena.meta.store.NamespaceChecker;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code catena admin fsck --kv URL}: checks the namespace in the KV store itself (one consistent snapshot) with
 * {@link NamespaceChecker}: dangling entries, wrong link counts, orphans, unreachable directories, quota counters
 * that differ from a recount. Read-only; safe while the cluster runs.
 */
@Command(name = "fsck", sortOptions = false,
    description = {"Check the namespace's invariants in the KV store (read-only, one snapshot; safe while the "
        + "cluster runs): entries, inodes, link counts, reachability, GC area, sessions, quota counters.",
        "Exit 0 when clean, 1 when a violation was found (each is printed)."},
    footer = ExitCodes.FOOTER)
final class FsckCommand extends AdminCall {
  @Option(names = "--kv", paramLabel = "URL", required = true,
      description = "the cluster's KV store, e.g. rocksdb:///DATA/control/kv (stopped cluster) or "
          + "etcd://host:2379/catena")
  String kvUrl;

  @Mixin
  JsonOption output;

  @Override
  int run() {
    Config config = ConfigLoader.load(ConnectionOptions.SCHEMA, null, System.getenv(), Map.of());
    NamespaceChecker.Report r;
    try (KvEngine kv = KvEngines.open(kvUrl, config)) {
      r = NamespaceChecker.check(kv);
    }
    if (output.json) {
      out().println(Json.write(Views.obj("kv", kvUrl, "inodes", r.inodes(), "entries", r.entries(),
          "violations", r.violations())));
    } else {
      r.violations().forEach(v -> out().println("violation: " + v));
      out().println((r.ok() ? "clean: " : r.violations().size() + " violations: ") + r.inodes() + " inodes, "
          + r.entries() + " entries checked in " + kvUrl);
    }
    out().flush();
    return r.ok() ? ExitCodes.OK : ExitCodes.REFUSED;
  }
}
