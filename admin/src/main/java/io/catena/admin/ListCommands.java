package io.catena.admin;

import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChainTable;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.cluster.TargetInfo;
import java.util.Comparator;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The read-only listings: nodes, targets, chains, chain tables. Each from one routing snapshot. */
final class ListCommands {
  private ListCommands() {}

  @Command(name = "list-nodes", description = "List the cluster's nodes: mgmtd, meta, storage.",
      footer = ExitCodes.FOOTER)
  static final class Nodes extends AdminCall.Remote {
    @Override
    int run(AdminSession s) {
      RoutingInfo r = s.routing();
      List<NodeInfo> nodes = r.nodes().stream().sorted(Comparator.comparingLong(NodeInfo::nodeId)).toList();
      Table t = new Table("NODE", "TYPE", "STATUS", "ADDRESS", "TARGETS", "LAST HEARTBEAT", "CONFIG");
      for (NodeInfo n : nodes) {
        t.row(n.nodeId(), n.type(), n.status(), n.address(), r.targetsOfNode(n.nodeId()).size(),
            Views.time(n.lastHeartbeatMillis()), n.configVersion() == 0 ? "-" : "v" + n.configVersion());
      }
      t.footer(nodes.size() + " nodes, routing version " + r.version());
      print(json(), Views.obj("routing_version", r.version(), "nodes", nodes.stream().map(Views::node).toList()), t);
      return ExitCodes.OK;
    }
  }

  @Command(name = "list-targets", description = "List storage targets with their chain, states and space.",
      footer = ExitCodes.FOOTER)
  static final class Targets extends AdminCall.Remote {
    @Option(names = "--node", paramLabel = "ID", description = "only the targets of this node")
    Long node;

    @Option(names = "--chain", paramLabel = "ID", description = "only the targets of this chain")
    Long chain;

    @Override
    int run(AdminSession s) {
      RoutingInfo r = s.routing();
      List<TargetInfo> ts = r.targets().stream()
          .filter(t -> node == null || t.nodeId() == node)
          .filter(t -> chain == null || t.chainId() == chain)
          .sorted(Comparator.comparingLong(TargetInfo::targetId)).toList();
      java.util.Map<Long, String> draining = DrainMarks.phases(s);
      Table t = draining.isEmpty() ? new Table("TARGET", "NODE", "DISK", "CHAIN", "PUBLIC", "LOCAL", "USED", "CAPACITY")
          : new Table("TARGET", "NODE", "DISK", "CHAIN", "PUBLIC", "LOCAL", "USED", "CAPACITY", "DRAIN");
      for (TargetInfo x : ts) {
        List<Object> cells = new java.util.ArrayList<>(List.<Object>of(x.targetId(), x.nodeId(), x.diskIndex(),
            x.chainId() == 0 ? "-" : x.chainId(), x.publicState(), x.localState(), Views.bytes(x.usedBytes()),
            Views.bytes(x.capacityBytes())));
        if (!draining.isEmpty()) {
          cells.add(draining.getOrDefault(x.targetId(), "-"));
        }
        t.row(cells.toArray());
      }
      t.footer(ts.size() + " targets" + (draining.isEmpty() ? "" : ", " + draining.size() + " draining"));
      print(json(), Views.obj("routing_version", r.version(), "targets", ts.stream().map(x -> DrainMarks.withPhase(
          Views.target(x), draining.get(x.targetId()))).toList()), t);
      return ExitCodes.OK;
    }
  }

  @Command(name = "list-chains", description = "List chains: version, members in chain order with their states.",
      footer = ExitCodes.FOOTER)
  static final class Chains extends AdminCall.Remote {
    @Override
    int run(AdminSession s) {
      RoutingInfo r = s.routing();
      List<ChainInfo> cs = r.chains().stream().sorted(Comparator.comparingLong(ChainInfo::chainId)).toList();
      Table t = new Table("CHAIN", "VERSION", "SERVING", "HEAD", "TAIL", "MEMBERS");
      for (ChainInfo c : cs) {
        t.row(c.chainId(), c.version(), c.targetsIn(PublicTargetState.SERVING).size() + "/" + c.targets().size(),
            c.head().orElse(null), c.tail().orElse(null), Views.members(c));
      }
      t.footer(cs.size() + " chains");
      print(json(), Views.obj("routing_version", r.version(), "chains", cs.stream().map(Views::chain).toList()), t);
      return ExitCodes.OK;
    }
  }

  @Command(name = "list-chain-tables", description = "List chain tables, every version (old versions never change).",
      footer = ExitCodes.FOOTER)
  static final class ChainTables extends AdminCall.Remote {
    @Option(names = "--chains", description = "show each table's chain ids too")
    boolean chains;

    @Override
    int run(AdminSession s) {
      List<ChainTable> ts = s.mgmtd().listChainTables(s.clusterId());
      Table t = chains ? new Table("TABLE", "VERSION", "CHAINS", "CHAIN IDS") : new Table("TABLE", "VERSION", "CHAINS");
      for (ChainTable x : ts) {
        if (chains) {
          t.row(x.tableId(), x.version(), x.chainIds().size(), x.chainIds().stream().map(String::valueOf)
              .reduce((a, b) -> a + "," + b).orElse(""));
        } else {
          t.row(x.tableId(), x.version(), x.chainIds().size());
        }
      }
      t.footer(ts.size() + " table versions");
      print(json(), Views.obj("chain_tables", ts.stream().map(Views::chainTable).toList()), t);
      return ExitCodes.OK;
    }
  }
}
