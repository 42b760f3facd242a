package io.catena.admin;

import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChainTable;
import io.catena.common.cluster.ChainTarget;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.cluster.TargetInfo;
import io.catena.common.cluster.UserAccount;
import io.catena.mgmtd.VersionedConfig;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The JSON shapes of cluster records (stable field names in snake_case, enums as their names) and the text
 * cells tables show for them. Stateless.
 */
final class Views {
  private Views() {}

  /** An ordered JSON object from key, value pairs. */
  static Map<String, Object> obj(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  static Map<String, Object> node(NodeInfo n) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("node_id", n.nodeId());
    m.put("type", n.type().name());
    m.put("address", n.address());
    m.put("status", n.status().name());
    m.put("incarnation", n.incarnation());
    m.put("last_heartbeat_millis", n.lastHeartbeatMillis());
    m.put("config_version", n.configVersion());
    m.put("config_status", n.configStatus());
    return m;
  }

  static Map<String, Object> target(TargetInfo t) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("target_id", t.targetId());
    m.put("node_id", t.nodeId());
    m.put("disk_index", t.diskIndex());
    m.put("chain_id", t.chainId());
    m.put("public_state", t.publicState().name());
    m.put("local_state", t.localState().name());
    m.put("used_bytes", t.usedBytes());
    m.put("capacity_bytes", t.capacityBytes());
    return m;
  }

  static Map<String, Object> chain(ChainInfo c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("chain_id", c.chainId());
    m.put("version", c.version());
    m.put("targets", c.targets().stream().map(t -> {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("target_id", t.targetId());
      x.put("state", t.state().name());
      return x;
    }).toList());
    return m;
  }

  static Map<String, Object> chainTable(ChainTable t) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("table_id", t.tableId());
    m.put("version", t.version());
    m.put("chain_ids", t.chainIds());
    return m;
  }

  static Map<String, Object> user(UserAccount u) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("uid", u.uid());
    m.put("name", u.name());
    m.put("gid", u.gid());
    m.put("groups", u.groups());
    m.put("admin", u.admin());
    return m;
  }

  static Map<String, Object> config(VersionedConfig c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", c.type().name());
    m.put("version", c.version());
    m.put("toml", c.toml());
    return m;
  }

  /** "101(SERVING) 201(SYNCING)": members in chain order. */
  static String members(ChainInfo c) {
    return c.targets().stream().map(t -> t.targetId() + "(" + t.state().name() + ")")
        .collect(Collectors.joining(" "));
  }

  /** "node 10001 (ALIVE)" for the node of a target, as routing knows it. */
  static String nodeOf(RoutingInfo r, long targetId) {
    return r.nodeOfTarget(targetId).map(n -> n.nodeId() + " " + n.status().name()).orElse("?");
  }

  static String time(long millis) {
    return millis <= 0 ? "-" : Instant.ofEpochMilli(millis).toString();
  }

  static String bytes(long b) {
    if (b < 1024) {
      return b + "B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = b;
    int i = -1;
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return String.format(java.util.Locale.ROOT, "%.1f%s", v, units[i]);
  }

  static List<Long> ids(ChainInfo c) {
    return c.targets().stream().map(ChainTarget::targetId).toList();
  }
}
