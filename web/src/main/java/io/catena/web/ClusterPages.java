package io.catena.web;

import static io.catena.web.Html.badge;
import static io.catena.web.Html.esc;

import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChainTarget;
import io.catena.common.cluster.LocalTargetState;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.NodeStatus;
import io.catena.common.cluster.NodeType;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.cluster.TargetInfo;
import io.catena.mgmtd.ClientSession;
import io.catena.monitor.Collector;
import io.catena.monitor.Push;
import io.catena.monitor.Sample;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The pages about what mgmtd knows: nodes, targets, chains and clients, joined with what each process last pushed
 * to the monitor (version, CPU, heap, resync progress, FUSE rates). Stateless.
 */
final class ClusterPages {
  /** Pushes older than this are not shown as a process's current figures. */
  static final long FRESH_MILLIS = 60_000;

  private ClusterPages() {}

  static String state(PublicTargetState s) {
    String css = switch (s) {
      case SERVING -> "ok";
      case SYNCING -> "info";
      case WAITING -> "warn";
      case LASTSRV -> "warn";
      case OFFLINE -> "bad";
    };
    return badge(Html.lower(s), css);
  }

  static String state(LocalTargetState s) {
    return badge(Html.lower(s), s == LocalTargetState.UPTODATE ? "ok" : s == LocalTargetState.ONLINE ? "info"
        : "bad");
  }

  static String state(NodeStatus s) {
    return badge(Html.lower(s), s == NodeStatus.ALIVE ? "ok" : "bad");
  }

  /** The push of the process serving node {@code n} (a single-machine control process serves mgmtd and meta). */
  static Optional<Collector.Latest> pushOf(NodeInfo n, Collector c) {
    String id = Long.toString(n.nodeId());
    String role = switch (n.type()) {
      case STORAGE -> "storage";
      case META -> "meta";
      case MGMTD -> "mgmtd";
      default -> "mount";
    };
    Optional<Collector.Latest> own = c.of(role, id, FRESH_MILLIS);
    if (own.isPresent() || n.type() == NodeType.STORAGE) {
      return own;
    }
    return c.latest(FRESH_MILLIS).stream().filter(l -> l.current().role().equals("control")).findFirst();
  }

  static String nodes(ClusterState st, Collector c, long now) {
    StringBuilder sb = new StringBuilder("<h2>Nodes</h2><table id=\"nodes\"><thead><tr><th>node</th><th>type</th>"
        + "<th>address</th><th>state</th><th>last heartbeat</th><th>version</th><th>CPU</th><th>heap</th>"
        + "<th>config</th></tr></thead><tbody>");
    List<NodeInfo> nodes = new ArrayList<>(st.nodes());
    nodes.sort(Comparator.comparing((NodeInfo n) -> n.status() != NodeStatus.FAILED).thenComparing(NodeInfo::type)
        .thenComparingLong(NodeInfo::nodeId));
    for (NodeInfo n : nodes) {
      Optional<Push> p = pushOf(n, c).map(Collector.Latest::current);
      sb.append("<tr data-node=\"").append(n.nodeId()).append("\" data-state=\"").append(Html.lower(n.status()))
          .append("\"><td>").append(n.nodeId()).append("</td><td>").append(Html.lower(n.type())).append("</td><td>")
          .append(esc(n.address())).append("</td><td>").append(state(n.status())).append("</td><td>")
          .append(n.lastHeartbeatMillis() <= 0 ? "–" : Html.age(now - n.lastHeartbeatMillis())).append("</td><td>")
          .append(esc(p.map(ClusterPages::version).orElse("–"))).append("</td><td>")
          .append(p.map(x -> Html.percent(x.sum("process_cpu_usage"))).orElse("–")).append("</td><td>")
          .append(p.map(x -> Html.bytes(x.sum("jvm_memory_used_bytes", "area", "heap"))).orElse("–"))
          .append("</td><td>").append(n.configVersion() == 0 ? "–" : "v" + n.configVersion())
          .append(n.configStatus().isEmpty() ? "" : " " + badge(n.configStatus(), "warn")).append("</td></tr>");
    }
    sb.append("</tbody></table>");
    sb.append("<h2>Processes pushing metrics</h2><table id=\"processes\"><thead><tr><th>role</th><th>node</th>"
        + "<th>host</th><th>version</th><th>CPU</th><th>heap</th><th>threads</th><th>last push</th></tr></thead>"
        + "<tbody>");
    for (Collector.Latest l : c.latest(FRESH_MILLIS * 5)) {
      Push p = l.current();
      sb.append("<tr><td>").append(esc(p.role())).append("</td><td>").append(esc(p.node())).append("</td><td>")
          .append(esc(p.host())).append("</td><td>").append(esc(version(p))).append("</td><td>")
          .append(Html.percent(p.sum("process_cpu_usage"))).append("</td><td>")
          .append(Html.bytes(p.sum("jvm_memory_used_bytes", "area", "heap"))).append("</td><td>")
          .append(Html.number(p.sum("jvm_threads_live_threads"))).append("</td><td>")
          .append(Html.age(now - p.millis())).append("</td></tr>");
    }
    return sb.append("</tbody></table>").toString();
  }

  static String version(Push p) {
    return p.first("catena_build_info").map(s -> s.label("version")).orElse("?");
  }

  static String targets(ClusterState st, Collector c) {
    Map<Long, Sample> syncChunks = new HashMap<>();
    Map<Long, Sample> syncBytes = new HashMap<>();
    for (Collector.Latest l : c.latest(FRESH_MILLIS)) {
      for (Sample s : l.current().samples()) {
        if (s.name().equals("catena_storage_sync_remaining_chunks")) {
          syncChunks.put(Long.parseLong(s.label("successor")), s);
        } else if (s.name().equals("catena_storage_sync_remaining_bytes")) {
          syncBytes.put(Long.parseLong(s.label("successor")), s);
        }
      }
    }
    StringBuilder sb = new StringBuilder("<h2>Targets</h2><table id=\"targets\"><thead><tr><th>target</th>"
        + "<th>node</th><th>disk</th><th>chain</th><th>public state</th><th>local state</th><th>used</th>"
        + "<th>capacity</th><th></th><th>resync</th></tr></thead><tbody>");
    List<TargetInfo> targets = new ArrayList<>(st.targets());
    targets.sort(Comparator.comparing((TargetInfo t) -> t.publicState() == PublicTargetState.SERVING)
        .thenComparingLong(TargetInfo::targetId));
    for (TargetInfo t : targets) {
      double used = t.capacityBytes() > 0 ? (double) t.usedBytes() / t.capacityBytes() : Double.NaN;
      Sample chunks = syncChunks.get(t.targetId());
      Sample bytes = syncBytes.get(t.targetId());
      String sync = chunks == null ? (t.publicState() == PublicTargetState.SYNCING ? "starting" : "")
          : Html.number(chunks.value()) + " chunks, " + Html.bytes(bytes == null ? 0 : bytes.value()) + " left";
      sb.append("<tr data-target=\"").append(t.targetId()).append("\" data-state=\"")
          .append(Html.lower(t.publicState())).append("\"><td>").append(t.targetId()).append("</td><td>")
          .append(t.nodeId()).append("</td><td>").append(t.diskIndex()).append("</td><td>")
          .append(t.chainId() == 0 ? "–" : t.chainId()).append("</td><td>").append(state(t.publicState()))
          .append("</td><td>").append(state(t.localState())).append("</td><td>").append(Html.bytes(t.usedBytes()))
          .append("</td><td>").append(Html.bytes(t.capacityBytes())).append("</td><td>")
          .append(Html.bar(used, used > 0.9 ? "bad" : "ok")).append("</td><td>").append(esc(sync))
          .append("</td></tr>");
    }
    return sb.append("</tbody></table>").toString();
  }

  /** Serving members of a chain out of all of them. */
  static int serving(ChainInfo ch) {
    return ch.targetsIn(PublicTargetState.SERVING).size();
  }

  static String chains(ClusterState st) {
    Map<Long, TargetInfo> byId = new HashMap<>();
    st.targets().forEach(t -> byId.put(t.targetId(), t));
    List<ChainInfo> chains = new ArrayList<>(st.chains());
    chains.sort(Comparator.comparingDouble((ChainInfo ch) -> (double) serving(ch) / Math.max(1, ch.targets().size()))
        .thenComparingLong(ChainInfo::chainId));
    long degraded = chains.stream().filter(ch -> serving(ch) < ch.targets().size()).count();
    StringBuilder sb = new StringBuilder("<h2>Chains <small>").append(degraded == 0 ? badge("all complete", "ok")
        : badge(degraded + " under-replicated", "bad")).append("</small></h2><table id=\"chains\"><thead><tr>"
        + "<th>chain</th><th>version</th><th>serving</th><th>members, head to tail</th></tr></thead><tbody>");
    for (ChainInfo ch : chains) {
      int s = serving(ch);
      int r = ch.targets().size();
      String health = s == r ? "complete" : s == 0 ? "unavailable" : "degraded";
      sb.append("<tr data-chain=\"").append(ch.chainId()).append("\" data-health=\"").append(health)
          .append("\"><td>").append(ch.chainId()).append("</td><td>").append(ch.version()).append("</td><td>")
          .append(badge(s + "/" + r, s == r ? "ok" : s == 0 ? "bad" : "warn")).append("</td><td class=\"members\">");
      boolean first = true;
      for (ChainTarget m : ch.targets()) {
        if (!first) {
          sb.append(" <span class=\"arrow\">→</span> ");
        }
        first = false;
        TargetInfo t = byId.get(m.targetId());
        sb.append("<span class=\"member\">").append(m.targetId()).append("<small>@")
            .append(t == null ? "?" : t.nodeId()).append("</small> ").append(state(m.state())).append("</span>");
      }
      sb.append("</td></tr>");
    }
    return sb.append("</tbody></table>").toString();
  }

  static String clients(ClusterState st, Collector c, long now) {
    StringBuilder sb = new StringBuilder("<h2>Client sessions</h2><table id=\"clients\"><thead><tr><th>client</th>"
        + "<th>type</th><th>host</th><th>what</th><th>connected</th><th>last seen</th><th>FUSE requests</th>"
        + "<th>write-behind</th></tr></thead><tbody>");
    List<ClientSession> sessions = new ArrayList<>(st.sessions());
    sessions.sort(Comparator.comparingLong(ClientSession::startMillis));
    for (ClientSession s : sessions) {
      String mountpoint = s.description().startsWith("mount ") ? s.description().substring(6) : null;
      Optional<Collector.Latest> l = mountpoint == null ? Optional.empty() : c.of("mount", mountpoint, FRESH_MILLIS);
      sb.append("<tr><td>").append(esc(s.clientId())).append("</td><td>").append(Html.lower(s.type()))
          .append("</td><td>").append(esc(s.host())).append("</td><td>").append(esc(s.description()))
          .append("</td><td>").append(Html.dateTime(s.startMillis())).append("</td><td>")
          .append(Html.age(now - s.lastExtendMillis())).append("</td><td>")
          .append(l.map(x -> Html.rate(x.rate("catena_fuse_op_seconds_count"), "ops/s")).orElse("–"))
          .append("</td><td>")
          .append(l.map(x -> Html.bytes(x.current().sum("catena_client_write_behind_bytes"))).orElse("–"))
          .append("</td></tr>");
    }
    if (sessions.isEmpty()) {
      sb.append("<tr><td colspan=\"8\" class=\"muted\">no client connected</td></tr>");
    }
    return sb.append("</tbody></table>").toString();
  }
}
