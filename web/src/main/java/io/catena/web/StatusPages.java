package io.catena.web;

import static io.catena.web.Html.badge;
import static io.catena.web.Html.esc;

import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.NodeStatus;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.cluster.TargetInfo;
import io.catena.monitor.ChartSeries;
import io.catena.monitor.ClickHouseSink;
import io.catena.monitor.Collector;
import io.catena.monitor.Sample;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** The pages about how the cluster does: overview, metadata operations, charts. Stateless. */
final class StatusPages {
  private StatusPages() {}

  /** Healthy, degraded (a chain lacks replicas or a node failed) or unavailable (a chain has none serving). */
  static String health(ClusterState st) {
    boolean degraded = st.nodes().stream().anyMatch(n -> n.status() == NodeStatus.FAILED);
    for (ChainInfo ch : st.chains()) {
      int s = ClusterPages.serving(ch);
      if (s == 0) {
        return "unavailable";
      }
      degraded |= s < ch.targets().size();
    }
    return degraded ? "degraded" : "healthy";
  }

  private static double sumRate(Collector c, String name, String... labels) {
    double r = 0;
    for (Collector.Latest l : c.latest(ClusterPages.FRESH_MILLIS)) {
      r += l.rate(name, labels);
    }
    return r;
  }

  private static String card(String id, String title, String value, String detail) {
    return "<div class=\"card\" id=\"" + id + "\"><div class=\"title\">" + esc(title) + "</div><div class=\"value\">"
        + value + "</div><div class=\"detail\">" + detail + "</div></div>";
  }

  static String overview(ClusterState st, Collector c, Optional<ClickHouseSink> ch) {
    String health = health(st);
    long alive = st.nodes().stream().filter(n -> n.status() == NodeStatus.ALIVE).count();
    long failed = st.nodes().size() - alive;
    long serving = st.targets().stream().filter(t -> t.publicState() == PublicTargetState.SERVING).count();
    long degraded = st.chains().stream().filter(x -> ClusterPages.serving(x) < x.targets().size()).count();
    long capacity = st.targets().stream().mapToLong(TargetInfo::capacityBytes).sum();
    long used = st.targets().stream().mapToLong(TargetInfo::usedBytes).sum();
    StringBuilder sb = new StringBuilder("<div class=\"cards\">");
    sb.append(card("health", "Health", badge(health, health.equals("healthy") ? "ok" : health.equals("degraded")
        ? "warn" : "bad"), "routing version " + st.routingVersion()));
    sb.append(card("node-count", "Nodes", alive + " alive", failed == 0 ? "none failed"
        : badge(failed + " failed", "bad")));
    sb.append(card("chain-count", "Chains", st.chains().size() + "", degraded == 0 ? "all complete"
        : badge(degraded + " under-replicated", "bad")));
    sb.append(card("target-count", "Targets", serving + " serving", (st.targets().size() - serving) == 0
        ? "of " + st.targets().size() : badge((st.targets().size() - serving) + " not serving", "warn")));
    sb.append(card("capacity", "Capacity", Html.bytes(used) + " used", Html.bytes(Math.max(0, capacity - used))
        + " free of " + Html.bytes(capacity) + Html.bar(capacity == 0 ? 0 : (double) used / capacity, "ok")));
    sb.append(card("throughput", "Throughput now",
        Html.rate(sumRate(c, "catena_storage_data_bytes_total", "op", "read"), "B/s") + " read",
        Html.rate(sumRate(c, "catena_storage_data_bytes_total", "op", "write"), "B/s") + " written"));
    sb.append(card("meta-rate", "Metadata", Html.rate(sumRate(c, "catena_meta_op_seconds_count"), "ops/s"),
        Html.rate(sumRate(c, "catena_fuse_op_seconds_count"), "ops/s") + " FUSE requests"));
    sb.append(card("monitor", "Monitor", c.latest(ClusterPages.FRESH_MILLIS).size() + " processes pushing",
        ch.map(StatusPages::clickHouse).orElse("no ClickHouse (in memory only)")));
    sb.append("</div>");
    if (!st.nodes().isEmpty() && failed > 0) {
      sb.append("<p class=\"alert\">Failed: ");
      for (NodeInfo n : st.nodes()) {
        if (n.status() == NodeStatus.FAILED) {
          sb.append(Html.lower(n.type())).append(' ').append(n.nodeId()).append(" (").append(esc(n.address()))
              .append(") ");
        }
      }
      sb.append("</p>");
    }
    sb.append("<div class=\"charts\">");
    for (ChartSeries s : c.history().series()) {
      if (s.id().equals("storage_read") || s.id().equals("storage_write")) {
        sb.append(Svg.chart(s, c.history().points(s.id(), c.now())));
      }
    }
    return sb.append("</div>").toString();
  }

  private static String clickHouse(ClickHouseSink s) {
    return "ClickHouse " + (s.reachable() ? badge("up", "ok") : badge("unreachable", "bad")) + ", "
        + Html.number(s.buffered()) + " samples buffered";
  }

  static String metadata(Collector c) {
    Map<String, double[]> ops = new TreeMap<>(); // op -> {rate, count delta, sum delta}
    double sessions = 0;
    double backlog = 0;
    StringBuilder kv = new StringBuilder();
    for (Collector.Latest l : c.latest(ClusterPages.FRESH_MILLIS)) {
      if (l.current().first("catena_meta_write_sessions").isEmpty()) {
        continue;
      }
      sessions = Math.max(sessions, l.current().sum("catena_meta_write_sessions"));
      backlog = Math.max(backlog, l.current().sum("catena_meta_gc_backlog_files"));
      for (Sample s : l.current().samples()) {
        if (s.name().equals("catena_meta_op_seconds_count") && s.label("status").equals("ok")) {
          String op = s.label("op");
          double[] a = ops.computeIfAbsent(op, k -> new double[3]);
          a[0] += l.rate("catena_meta_op_seconds_count", "op", op);
          double ms = l.meanMillis("catena_meta_op_seconds", "op", op, "status", "ok");
          if (!Double.isNaN(ms)) {
            a[1] += 1;
            a[2] += ms;
          }
        }
      }
      for (String user : List.of("meta", "mgmtd")) {
        if (l.current().first("catena_kv_commit_seconds_count", "user", user).isPresent()) {
          kv.append("<tr><td>").append(esc(l.current().role() + " " + l.current().node())).append("</td><td>")
              .append(user).append("</td><td>")
              .append(Html.rate(l.rate("catena_kv_transactions_total", "user", user, "result", "committed"),
                  "txn/s")).append("</td><td>")
              .append(Html.millis(l.meanMillis("catena_kv_commit_seconds", "user", user))).append("</td><td>")
              .append(Html.rate(l.rate("catena_kv_conflicts_total", "user", user), "/s")).append("</td><td>")
              .append(Html.rate(l.rate("catena_kv_retries_total", "user", user), "/s")).append("</td></tr>");
        }
      }
    }
    StringBuilder sb = new StringBuilder("<div class=\"cards\">");
    sb.append(card("meta-total", "Operations", Html.rate(sumRate(c, "catena_meta_op_seconds_count"), "ops/s"),
        "every kind"));
    sb.append(card("write-sessions", "Open write sessions", Html.number(sessions), "files open for writing"));
    sb.append(card("gc-backlog", "GC backlog", Html.number(backlog), "removed files awaiting chunk removal"));
    sb.append("</div><h2>Operations by kind</h2><table id=\"meta-ops\"><thead><tr><th>operation</th>"
        + "<th>rate</th><th>mean latency</th></tr></thead><tbody>");
    for (var e : ops.entrySet()) {
      double[] a = e.getValue();
      sb.append("<tr><td>").append(esc(e.getKey())).append("</td><td>").append(Html.rate(a[0], "ops/s"))
          .append("</td><td>").append(Html.millis(a[1] == 0 ? Double.NaN : a[2] / a[1])).append("</td></tr>");
    }
    if (ops.isEmpty()) {
      sb.append("<tr><td colspan=\"3\" class=\"muted\">no metadata server has pushed yet</td></tr>");
    }
    sb.append("</tbody></table><h2>KV store</h2><table id=\"kv\"><thead><tr><th>process</th><th>user</th>"
        + "<th>commits</th><th>mean commit</th><th>conflicts</th><th>retries</th></tr></thead><tbody>")
        .append(kv).append("</tbody></table>");
    sb.append("<div class=\"charts\">");
    for (ChartSeries s : c.history().series()) {
      if (s.id().startsWith("meta")) {
        sb.append(Svg.chart(s, c.history().points(s.id(), c.now())));
      }
    }
    return sb.append("</div>").toString();
  }

  static String charts(Collector c) {
    StringBuilder sb = new StringBuilder("<h2>The last hour</h2><div class=\"charts\">");
    for (ChartSeries s : c.history().series()) {
      sb.append(Svg.chart(s, c.history().points(s.id(), c.now())));
    }
    return sb.append("</div>").toString();
  }
}
