package io.catena.admin;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChainTable;
import io.catena.common.cluster.ChunkId;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.config.DataSize;
import io.catena.meta.ChunkPlacement;
import io.catena.meta.Inode;
import io.catena.meta.Layout;
import io.catena.meta.server.MetaConfig;
import io.catena.meta.MetaService;
import io.catena.meta.SetAttr;
import io.catena.meta.UserInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * File commands through meta: stat/fileinfo (which chains and replicas hold each chunk of a file, like MooseFS's
 * mfsfileinfo) and set-layout (a directory's default layout for new files). Paths are inside Catena, absolute.
 * They act as root: the admin's token may speak for any identity.
 */
final class FileCommands {
  private FileCommands() {}

  static Map<String, Object> layout(Layout l) {
    if (l == null) {
      return null;
    }
    return Views.obj("chain_table_id", l.chainTableId(), "chain_table_version", l.chainTableVersion(),
        "chunk_size", l.chunkSize(), "stripe_size", l.stripeSize(), "base_chain_index", l.baseChainIndex(),
        "shuffle_seed", l.shuffleSeed());
  }

  static String describe(Layout l) {
    return "chain table " + l.chainTableId() + (l.chainTableVersion() == 0 ? "" : " v" + l.chainTableVersion())
        + ", chunk " + Views.bytes(l.chunkSize()) + ", stripe " + l.stripeSize()
        + (l.chainTableVersion() == 0 ? "" : ", base " + l.baseChainIndex() + ", seed " + l.shuffleSeed());
  }

  @Command(name = "stat", aliases = "fileinfo", sortOptions = false,
      description = {"Show a path's inode and layout; for a file, each chunk with its chain and replicas.",
          "Chunk placement is computed from the layout (as clients do), so chunks of holes are listed too. Replicas "
              + "are shown in chain order with their node and public state: writes enter at the first SERVING one."},
      footer = ExitCodes.FOOTER)
  static final class Stat extends AdminCall.Remote {
    @Parameters(paramLabel = "PATH", description = "absolute path inside Catena, e.g. /data/x.bin")
    String path;

    @Option(names = "--max-chunks", paramLabel = "N", defaultValue = "1000",
        description = "list at most N chunks (default: ${DEFAULT-VALUE})")
    long maxChunks;

    @Override
    int run(AdminSession s) {
      if (!path.startsWith("/")) {
        throw CatenaException.of(Errno.EINVAL, "path '%s' must be absolute inside Catena (start with /)", path);
      }
      Inode i = s.meta().resolve(UserInfo.ROOT, MetaService.ROOT, path, true);
      Map<String, Object> doc = Views.obj("path", path, "inode", i.id(), "type", i.type().name(),
          "mode", String.format("%04o", i.mode()), "uid", i.uid(), "gid", i.gid(), "nlink", i.nlink(),
          "length", i.length(), "layout", layout(i.layout()));
      StringBuilder head = new StringBuilder();
      head.append(path).append(": inode ").append(i.id()).append(", ").append(i.type().name().toLowerCase())
          .append(", mode ").append(String.format("%04o", i.mode())).append(", uid ").append(i.uid())
          .append(", gid ").append(i.gid());
      if (i.isFile()) {
        head.append(", length ").append(i.length());
      }
      head.append('\n');
      if (i.isFile() || i.isDirectory()) {
        io.catena.meta.goal.GoalReport g = new io.catena.meta.goal.GoalClient(s.meta()).getGoal(UserInfo.ROOT,
            i.id(), false);
        doc.put("goal", Views.obj("goal", g.goal(), "target_goal", g.isMoving() ? g.targetGoal() : null,
            "state", GoalCommands.state(g)));
        head.append("goal: ").append(g.goal()).append(g.isMoving() ? " (" + GoalCommands.state(g) + " to "
            + g.targetGoal() + ")" : "").append('\n');
      }
      if (i.layout() == null) {
        head.append(i.isDirectory() ? "layout: none set (new files get the server's default)\n" : "");
      } else {
        head.append(i.isDirectory() ? "default layout for new files: " : "layout: ").append(describe(i.layout()))
            .append('\n');
      }
      Table t = null;
      if (i.isFile() && i.layout() != null) {
        RoutingInfo r = s.routing();
        Layout l = i.layout();
        long chunks = (i.length() + l.chunkSize() - 1) / l.chunkSize();
        long shown = Math.min(chunks, Math.max(0, maxChunks));
        Optional<ChainTable> table = r.chainTable(l.chainTableId(), l.chainTableVersion());
        t = new Table("CHUNK", "CHUNK ID", "CHAIN", "VERSION", "REPLICAS (target@node STATE, chain order)");
        List<Object> docs = new ArrayList<>();
        for (long c = 0; c < shown; c++) {
          ChunkId id = new ChunkId(l.dataOwner(i.id()), c);
          if (table.isEmpty()) {
            t.row(c, id, "?", "-", "chain table " + l.chainTableId() + " v" + l.chainTableVersion() + " unknown");
            docs.add(Views.obj("index", c, "chunk_id", id.toString(), "chain_id", null));
            continue;
          }
          long chainId = ChunkPlacement.chainOf(l, table.get(), c);
          Optional<ChainInfo> chain = r.chain(chainId);
          List<Object> replicas = new ArrayList<>();
          StringBuilder cell = new StringBuilder();
          for (var m : chain.map(ChainInfo::targets).orElse(List.of())) {
            Optional<NodeInfo> n = r.nodeOfTarget(m.targetId());
            Map<String, Object> rep = new LinkedHashMap<>();
            rep.put("target_id", m.targetId());
            rep.put("node_id", n.map(NodeInfo::nodeId).orElse(null));
            rep.put("node_address", n.map(NodeInfo::address).orElse(null));
            rep.put("node_status", n.map(x -> x.status().name()).orElse(null));
            rep.put("state", m.state().name());
            replicas.add(rep);
            cell.append(cell.isEmpty() ? "" : " ").append(m.targetId()).append('@')
                .append(n.map(x -> String.valueOf(x.nodeId())).orElse("?")).append(' ').append(m.state().name());
          }
          t.row(c, id, chainId, chain.map(ChainInfo::version).orElse(null), cell.isEmpty() ? "chain unknown" : cell);
          docs.add(Views.obj("index", c, "chunk_id", id.toString(), "chain_id", chainId, "chain_version",
              chain.map(ChainInfo::version).orElse(null), "replicas", replicas));
        }
        t.footer(chunks + " chunks" + (shown < chunks ? " (first " + shown + " shown; --max-chunks)" : ""));
        doc.put("chunk_count", chunks);
        doc.put("chunks", docs);
      }
      if (json()) {
        out().println(Json.write(doc));
      } else {
        out().print(head);
        if (t != null) {
          out().print(t.render());
        }
      }
      out().flush();
      return ExitCodes.OK;
    }

    @Override
    String hint(CatenaException e) {
      return e.errno() == Errno.ENOENT ? "check the path: it is resolved inside Catena from its root, not on this "
          + "machine's file system" : null;
    }
  }

  @Command(name = "set-layout", sortOptions = false,
      description = {"Set a directory's default layout: files created in it later (and new subdirectories) get it.",
          "Existing files keep theirs. Replication is chosen through the chain table: each table's chains have "
              + "their own number of replicas. Options not given keep the directory's current value (or the "
              + "defaults meta.default_*)."},
      footer = ExitCodes.FOOTER)
  static final class SetLayout extends AdminCall.Remote {
    @Parameters(paramLabel = "DIR", description = "absolute path of a directory inside Catena")
    String path;

    @Option(names = "--chunk-size", paramLabel = "SIZE", description = "power of two, 64KiB..64MiB, e.g. 4MiB")
    String chunkSize;

    @Option(names = "--stripe", paramLabel = "N", description = "how many chains a file spreads over")
    Integer stripe;

    @Option(names = "--chain-table", paramLabel = "ID", description = "the chain table new files use")
    Integer chainTable;

    @Override
    int run(AdminSession s) {
      if (!path.startsWith("/")) {
        throw CatenaException.of(Errno.EINVAL, "path '%s' must be absolute inside Catena (start with /)", path);
      }
      Inode dir = s.meta().resolve(UserInfo.ROOT, MetaService.ROOT, path, true);
      if (!dir.isDirectory()) {
        throw CatenaException.of(Errno.ENOTDIR, "%s is a %s; set-layout applies to directories", path,
            dir.type().name().toLowerCase());
      }
      Layout cur = dir.layout() != null ? dir.layout() : Layout.defaults(s.config().get(MetaConfig.DEFAULT_CHAIN_TABLE),
          s.config().get(MetaConfig.DEFAULT_CHUNK_SIZE).toIntBytes(), s.config().get(MetaConfig.DEFAULT_STRIPE));
      int table = chainTable != null ? chainTable : cur.chainTableId();
      int chunk = cur.chunkSize();
      if (chunkSize != null) {
        try {
          chunk = DataSize.parse(chunkSize).toIntBytes();
        } catch (RuntimeException e) {
          throw CatenaException.of(Errno.EINVAL, "--chunk-size %s is not a size like 1MiB", chunkSize);
        }
      }
      int st = stripe != null ? stripe : cur.stripeSize();
      Layout want = Layout.defaults(table, chunk, st);
      ChainTable t = s.routing().latestChainTable(table).orElseThrow(() -> CatenaException.of(Errno.ENOENT,
          "chain table %d does not exist", table));
      if (st > t.chainIds().size()) {
        err().println("set-layout: note: chain table " + table + " has " + t.chainIds().size() + " chains; files "
            + "will spread over " + t.chainIds().size() + ", not " + st);
      }
      Inode after = s.meta().setattr(UserInfo.ROOT, dir.id(), SetAttr.layout(want));
      Table out = new Table("PATH", "CHAIN TABLE", "CHUNK SIZE", "STRIPE")
          .row(path, table, Views.bytes(after.layout().chunkSize()), after.layout().stripeSize());
      print(json(), Views.obj("path", path, "inode", after.id(), "layout", layout(after.layout())), out);
      return ExitCodes.OK;
    }

    @Override
    String hint(CatenaException e) {
      return e.errno() == Errno.ENOENT && e.getMessage().contains("chain table")
          ? "see the tables with `catena admin list-chain-tables`" : null;
    }
  }
}
