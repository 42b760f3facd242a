package io.catena.admin;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChainTable;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.NodeStatus;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.cluster.TargetInfo;
import io.catena.common.net.Address;
import io.catena.mgmtd.ChainSpec;
import io.catena.mgmtd.TargetSpec;
import io.catena.placement.PlacementFiles;
import io.catena.rpc.CallOptions;
import io.catena.rpc.RpcResponse;
import io.catena.storage.StorageRpc;
import io.catena.storage.proto.CreateTargetReq;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The uploads that build a cluster from {@code catena admin placement}'s files: targets, chains, chain tables. Each
 * is idempotent (mgmtd skips what already exists identically, storage nodes skip existing targets), so a run cut
 * short is simply run again. Work goes in batches with one progress line per batch on stderr.
 */
final class UploadCommands {
  private UploadCommands() {}

  private static final String FILES_FOOTER = "%nFiles are those `catena admin placement` writes (see its --help); "
      + "re-running an upload is a no-op for what exists already." + ExitCodes.FOOTER;

  static <T> List<List<T>> batches(List<T> all, int size) {
    List<List<T>> out = new ArrayList<>();
    for (int i = 0; i < all.size(); i += size) {
      out.add(all.subList(i, Math.min(all.size(), i + size)));
    }
    return out;
  }

  /** Where the items come from: a placement directory or one file. */
  static final class Source {
    @Option(names = "--placement", paramLabel = "DIR", description = "directory written by `catena admin placement`")
    Path placement;

    @Option(names = "--file", paramLabel = "FILE", description = "the CSV file itself")
    Path file;

    Path resolve(String name) {
      return file != null ? file : placement.resolve(name);
    }
  }

  @Command(name = "create-targets", sortOptions = false,
      description = {"Create storage targets: on their storage nodes, then in mgmtd.",
          "Give a placement directory or targets.csv (target_id,node_id,disk_index,chain_id), or one target with "
              + "--target/--node/--disk/--chain."},
      footer = FILES_FOOTER)
  static final class CreateTargets extends AdminCall.Remote {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
      @ArgGroup(exclusive = false, multiplicity = "1")
      One one;

      @Option(names = "--placement", paramLabel = "DIR", description = "directory written by `catena admin placement`")
      Path placement;

      @Option(names = "--file", paramLabel = "FILE", description = "targets.csv")
      Path file;
    }

    static final class One {
      @Option(names = "--target", paramLabel = "ID", required = true, description = "target id")
      long target;

      @Option(names = "--node", paramLabel = "ID", required = true, description = "storage node id")
      long node;

      @Option(names = "--disk", paramLabel = "N", defaultValue = "0", description = "disk index (default: 0)")
      int disk;

      @Option(names = "--chain", paramLabel = "ID", defaultValue = "0",
          description = "the chain the target is for (the storage node records it; needed unless --no-storage)")
      long chain;
    }

    @Option(names = "--batch", paramLabel = "N", defaultValue = "200", description = "targets per request "
        + "(default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--no-storage", description = "only register the targets in mgmtd")
    boolean noStorage;

    @Option(names = "--quiet", description = "no progress lines")
    boolean quiet;

    @Override
    int run(AdminSession s) throws InterruptedException {
      if (batch < 1) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--batch must be positive");
      }
      List<PlacementCsv.TargetLine> lines;
      if (input.one != null) {
        One o = input.one;
        if (o.chain <= 0 && !noStorage) {
          throw new CommandLine.ParameterException(spec.commandLine(),
              "--chain is needed to create the target on its storage node (or pass --no-storage)");
        }
        lines = List.of(new PlacementCsv.TargetLine(o.target, o.node, o.disk, o.chain));
      } else {
        lines = PlacementCsv.targets(input.file != null ? input.file : input.placement.resolve(PlacementFiles.TARGETS));
      }
      if (lines.isEmpty()) {
        throw CatenaException.of(Errno.EINVAL, "no targets to create");
      }
      // Storage first: a node reports a target mgmtd does not know yet is ignored, while a target mgmtd knows and
      // its node does not report counts as offline, so registering first could start a new chain with an offline
      // member if upload-chains follows before the node's next heartbeat.
      Map<Long, String> storage = new LinkedHashMap<>();
      if (!noStorage) {
        storage = createOnStorage(s, lines, quiet || lines.size() <= batch);
      }
      Progress p = new Progress(err(), "create-targets", lines.size(), quiet || lines.size() <= batch);
      List<TargetInfo> registered = new ArrayList<>();
      for (List<PlacementCsv.TargetLine> b : batches(lines, batch)) {
        registered.addAll(s.mgmtd().createTargets(s.clusterId(), b.stream()
            .map(l -> new TargetSpec(l.targetId(), l.nodeId(), l.diskIndex())).toList()));
        p.advance(b.size(), "registered in mgmtd");
      }
      Table t = new Table("TARGET", "NODE", "DISK", "CHAIN", "STORAGE");
      List<Object> docs = new ArrayList<>();
      for (int i = 0; i < lines.size(); i++) {
        PlacementCsv.TargetLine l = lines.get(i);
        String st = noStorage ? "skipped" : storage.get(l.targetId());
        t.row(l.targetId(), l.nodeId(), l.diskIndex(), l.chainId() == 0 ? "-" : l.chainId(), st);
        Map<String, Object> d = Views.target(registered.get(i));
        d.put("storage", st);
        docs.add(d);
      }
      t.footer(lines.size() + " targets registered in mgmtd" + (noStorage ? "" : " and created on their nodes"));
      print(json(), Views.obj("targets", docs), t);
      return ExitCodes.OK;
    }

    /**
     * Creates every target on its node, a batch in flight at a time; throws if any failed (after trying all, so one
     * run reports every bad node).
     */
    private Map<Long, String> createOnStorage(AdminSession s, List<PlacementCsv.TargetLine> lines, boolean q)
        throws InterruptedException {
      RoutingInfo r = s.routing();
      Progress p = new Progress(err(), "create-targets", lines.size(), q);
      Map<Long, String> result = new LinkedHashMap<>();
      List<String> failures = new ArrayList<>();
      CatenaException first = null;
      Duration timeout = Duration.ofSeconds(30);
      for (List<PlacementCsv.TargetLine> b : batches(lines, batch)) {
        List<CompletableFuture<Void>> calls = new ArrayList<>();
        for (PlacementCsv.TargetLine l : b) {
          NodeInfo n = r.node(l.nodeId()).orElse(null);
          if (n == null) {
            calls.add(CompletableFuture.failedFuture(CatenaException.of(Errno.ENOENT, "target %d: node %d is not "
                + "registered", l.targetId(), l.nodeId())));
          } else if (n.status() != NodeStatus.ALIVE) {
            calls.add(CompletableFuture.failedFuture(CatenaException.of(Errno.EHOSTUNREACH, "target %d: node %d is %s",
                l.targetId(), l.nodeId(), n.status())));
          } else if (l.chainId() <= 0) {
            calls.add(CompletableFuture.failedFuture(CatenaException.of(Errno.EINVAL, "target %d has no chain id",
                l.targetId())));
          } else {
            calls.add(s.rpc().call(Address.parse(n.address()), StorageRpc.CREATE_TARGET, CreateTargetReq.newBuilder()
                .setTargetId(l.targetId()).setChainId(l.chainId()).setDiskIndex(l.diskIndex()).build(), null,
                CallOptions.timeout(timeout)).thenAccept(RpcResponse::close));
          }
        }
        for (int i = 0; i < b.size(); i++) {
          PlacementCsv.TargetLine l = b.get(i);
          try {
            calls.get(i).get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
            result.put(l.targetId(), "created");
          } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            CatenaException ce = cause instanceof CatenaException c ? c
                : new CatenaException(CatenaException.statusOf(cause), cause);
            first = first == null ? ce : first;
            result.put(l.targetId(), "FAILED " + ce.errno().name());
            failures.add(ce.status().message() + " (" + ce.errno().name() + ")");
          }
        }
        p.advance(b.size(), "created on storage nodes");
      }
      if (failures.size() == 1) {
        throw first;
      }
      if (first != null) {
        failures.stream().limit(20).forEach(f -> err().println("create-targets: " + f));
        throw new CatenaException(io.catena.common.Status.of(first.errno(), "%d of %d targets could not be created "
            + "on their storage nodes (first: %s)", failures.size(), lines.size(), first.status().message()));
      }
      return result;
    }

    @Override
    String hint(CatenaException e) {
      if (!e.getMessage().contains("could not be created on their storage nodes")) {
        return null;
      }
      return e.errno() == Errno.ENOENT ? "check the node ids with list-nodes (a storage node registers when it "
          + "starts), then run the same command again" : "bring the nodes up and run the same command again: "
          + "existing targets are skipped";
    }
  }

  @Command(name = "upload-chains", sortOptions = false,
      description = {"Create chains (every member serving, version 1) from a placement directory or chains.csv "
          + "(chain_id,target_1,...,target_R; target_1 is the head)."},
      footer = FILES_FOOTER)
  static final class UploadChains extends AdminCall.Remote {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "200", description = "chains per request "
        + "(default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--quiet", description = "no progress lines")
    boolean quiet;

    @Override
    int run(AdminSession s) {
      if (batch < 1) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--batch must be positive");
      }
      List<ChainSpec> specs = PlacementCsv.chains(source.resolve(PlacementFiles.CHAINS));
      if (specs.isEmpty()) {
        throw CatenaException.of(Errno.EINVAL, "no chains to upload");
      }
      Progress p = new Progress(err(), "upload-chains", specs.size(), quiet || specs.size() <= batch);
      List<ChainInfo> done = new ArrayList<>();
      for (List<ChainSpec> b : batches(specs, batch)) {
        done.addAll(s.mgmtd().uploadChains(s.clusterId(), b));
        p.advance(b.size(), "chains uploaded");
      }
      Table t = new Table("CHAIN", "VERSION", "MEMBERS");
      for (ChainInfo c : done) {
        t.row(c.chainId(), c.version(), Views.members(c));
      }
      t.footer(done.size() + " chains");
      print(json(), Views.obj("chains", done.stream().map(Views::chain).toList()), t);
      return ExitCodes.OK;
    }
  }

  @Command(name = "upload-chain-table", sortOptions = false,
      description = {"Store a new version of each chain table in a placement directory or chain-table.csv "
          + "(table_id,chain_id in table order); the same chain list as the latest version keeps that version."},
      footer = FILES_FOOTER)
  static final class UploadChainTable extends AdminCall.Remote {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--quiet", description = "no progress lines")
    boolean quiet;

    @Override
    int run(AdminSession s) {
      Map<Integer, List<Long>> tables = PlacementCsv.chainTables(source.resolve(PlacementFiles.CHAIN_TABLE));
      if (tables.isEmpty()) {
        throw CatenaException.of(Errno.EINVAL, "no chain table in the file");
      }
      Progress p = new Progress(err(), "upload-chain-table", tables.size(), quiet || tables.size() == 1);
      List<ChainTable> done = new ArrayList<>();
      for (var e : tables.entrySet()) {
        done.add(s.mgmtd().uploadChainTable(s.clusterId(), e.getKey(), e.getValue()));
        p.advance(1, "tables uploaded");
      }
      Table t = new Table("TABLE", "VERSION", "CHAINS");
      for (ChainTable c : done) {
        t.row(c.tableId(), c.version(), c.chainIds().size());
      }
      print(json(), Views.obj("chain_tables", done.stream().map(Views::chainTable).toList()), t);
      return ExitCodes.OK;
    }
  }
}
