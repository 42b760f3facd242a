package io.catena.admin;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigLoader;
import io.catena.common.net.Address;
import io.catena.kv.KvDump;
import io.catena.kv.KvEngine;
import io.catena.kv.KvEngines;
import io.catena.metalogger.MetaRestore;
import io.catena.metalogger.MetalogClient;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code catena admin backup | restore | meta-restore}: dumps of a whole store and rebuilding one. Stateless. */
final class BackupCommands {
  private BackupCommands() {}

  static Map<String, Object> header(Path file, KvDump.Header h) {
    return Views.obj("file", file.toString(), "format", h.format(), "engine", h.engine(), "version", h.version(),
        "time", h.time().toString(), "keys", h.keys(), "sha256", h.sha256());
  }

  @Command(name = "backup", sortOptions = false,
      description = {"Dump the whole metadata store, consistent at one version, into FILE (online).",
          "With --kv URL the store is read directly (etcd://..., or a stopped rocksdb:// store); otherwise the "
              + "control process of --data/--mgmtd serves a checkpoint of its embedded store."},
      footer = ExitCodes.FOOTER)
  static final class Backup extends AdminCall {
    @Option(names = "--to", paramLabel = "FILE", required = true, description = "the dump file to write")
    Path to;

    @Option(names = "--kv", paramLabel = "URL", description = "read this store directly instead")
    String kv;

    @Mixin
    ConnectionOptions connection;

    @Mixin
    JsonOption output;

    @Override
    int run() {
      KvDump.Header h;
      if (kv != null) {
        Config config = ConfigLoader.load(ConnectionOptions.SCHEMA, null, System.getenv(), Map.of());
        try (KvEngine engine = KvEngines.open(kv, config)) {
          h = KvDump.backup(engine, to, Instant.now(), 1000);
        }
      } else {
        List<String> addrs = connection.mgmtdAddresses(null);
        if (addrs.isEmpty()) {
          throw CatenaException.of(Errno.EINVAL, "say what to back up: --kv URL, --data DIR or --mgmtd ADDRESS");
        }
        try (RpcClient rpc = Rpc.client(connection.config())) {
          h = new MetalogClient(rpc, Address.parse(addrs.getFirst()), Duration.ofSeconds(30))
              .checkpoint(to, Instant.now());
        }
      }
      if (output.json) {
        out().println(Json.write(header(to, h)));
      } else {
        out().println("backed up " + h.keys() + " keys of " + h.engine() + " at version " + h.version() + " into "
            + to + " (SHA-256 " + h.sha256() + ")");
      }
      out().flush();
      return ExitCodes.OK;
    }
  }

  @Command(name = "restore", sortOptions = false,
      description = {"Load a dump written by `admin backup` into a store (offline: nothing may use the store "
          + "meanwhile), then verify it against the dump's SHA-256.",
          "The store must be empty unless --force, which first deletes every key in it."},
      footer = ExitCodes.FOOTER)
  static final class Restore extends AdminCall {
    @Option(names = "--from", paramLabel = "FILE", required = true, description = "the dump file")
    Path from;

    @Option(names = "--to", paramLabel = "URL", required = true,
        description = "the store: rocksdb:///DIR, etcd://host:port/prefix")
    String to;

    @Option(names = "--force", description = "clear a non-empty store first")
    boolean force;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "100",
        description = "keys per transaction (default: ${DEFAULT-VALUE}; etcd allows at most 128)")
    int batch;

    @Mixin
    JsonOption output;

    @Override
    int run() {
      Config config = ConfigLoader.load(ConnectionOptions.SCHEMA, null, System.getenv(), Map.of());
      KvDump.Header h;
      try (KvDump.Reader r = new KvDump.Reader(from)) {
        h = r.header();
      }
      KvDump.Restored res;
      try (KvEngine engine = KvEngines.open(to, config)) {
        res = KvDump.restore(from, engine, force, batch);
      }
      if (output.json) {
        Map<String, Object> m = header(from, h);
        m.put("to", to);
        m.put("replaced", res.replaced());
        out().println(Json.write(m));
      } else {
        out().println("restored " + res.keys() + " keys (version " + h.version() + " of " + h.engine() + ", "
            + h.time() + ") into " + to + (res.replaced() ? ", replacing what it held" : "")
            + "; SHA-256 " + res.sha256() + " (verified)");
      }
      out().flush();
      return ExitCodes.OK;
    }
  }

  @Command(name = "meta-restore", sortOptions = false,
      description = {"Rebuild an embedded (rocksdb) metadata store from a metalogger's directory: its newest "
          + "checkpoint and every change it logged since.",
          "Start a control process on the result: put it in place of DATA/control/kv for `catena up --data DATA`, "
              + "or `catena control --data D` with the result as D/kv."},
      footer = ExitCodes.FOOTER)
  static final class MetaRestoreCommand extends AdminCall {
    @Option(names = "--from", paramLabel = "DIR", required = true, description = "the metalogger's --dir")
    Path from;

    @Option(names = "--to", paramLabel = "DIR", required = true, description = "the new store (absent or empty)")
    Path to;

    @Mixin
    JsonOption output;

    @Override
    int run() {
      MetaRestore.Result r = MetaRestore.restore(from, to);
      if (output.json) {
        out().println(Json.write(Views.obj("from", from.toString(), "to", to.toString(), "checkpoint_version",
            r.checkpointVersion(), "keys", r.keys(), "changes", r.changes(), "version", r.version())));
      } else {
        out().println("restored " + to + " at version " + r.version() + ": checkpoint " + r.checkpointVersion()
            + " (" + r.keys() + " keys) and " + r.changes() + " logged changes");
      }
      out().flush();
      return ExitCodes.OK;
    }
  }

  @Command(name = "metaloggers", sortOptions = false,
      description = "The metadata loggers following the control process (`catena metalogger`), as it sees them: "
          + "the version each holds and how far behind that is. Exit code 1 when none has asked within a minute.",
      footer = ExitCodes.FOOTER)
  static final class Metaloggers extends AdminCall {
    @Mixin
    ConnectionOptions connection;

    @Mixin
    JsonOption output;

    @Override
    int run() {
      List<String> addrs = connection.mgmtdAddresses(null);
      if (addrs.isEmpty()) {
        throw CatenaException.of(Errno.EINVAL, "say which control process: --data DIR or --mgmtd ADDRESS");
      }
      io.catena.metalogger.proto.ListLoggersResponse r;
      try (RpcClient rpc = Rpc.client(connection.config())) {
        r = new MetalogClient(rpc, Address.parse(addrs.getFirst()), Duration.ofSeconds(10)).listLoggers();
      }
      Table t = new Table("LOGGER", "VERSION", "BEHIND", "LAST SEEN");
      List<Object> docs = new java.util.ArrayList<>();
      boolean live = false;
      for (var l : r.getLoggersList()) {
        long behind = Math.max(0, r.getLatestVersion() - l.getVersion());
        double ago = (r.getNowMillis() - l.getLastSeenMillis()) / 1000.0;
        live |= ago < 60;
        t.row(l.getPeer(), l.getVersion(), behind, String.format("%.1f s ago", ago));
        docs.add(Views.obj("peer", l.getPeer(), "version", l.getVersion(), "behind_versions", behind,
            "last_seen_seconds", ago));
      }
      t.footer("control at version " + r.getLatestVersion() + "; its change feed holds the changes after version "
          + r.getOldestVersion());
      print(output.json, Views.obj("latest_version", r.getLatestVersion(), "oldest_version", r.getOldestVersion(),
          "loggers", docs), t);
      return live ? ExitCodes.OK : 1;
    }
  }
}
