package io.catena.dist;

import io.catena.client.ClientConfig;
import io.catena.common.config.ConfigSchema;
import io.catena.fuse.FuseConfig;
import io.catena.kv.KvConfig;
import io.catena.kv.etcd.EtcdConfig;
import io.catena.meta.client.MetaClientConfig;
import io.catena.meta.server.MetaConfig;
import io.catena.meta.server.MetaRoleConfig;
import io.catena.metrics.MetricsConfig;
import io.catena.mgmtd.MgmtdConfig;
import io.catena.mgmtd.client.MgmtdClientConfig;
import io.catena.mgmtd.exports.ExportsConfig;
import io.catena.mgmtd.server.MgmtdRoleConfig;
import io.catena.mgmtd.server.MgmtdServerConfig;
import io.catena.monitor.MonitorConfig;
import io.catena.rpc.RpcConfig;
import io.catena.storage.StorageConfig;
import io.catena.storage.StorageRoleConfig;
import io.catena.storage.client.StorageClientConfig;
import io.catena.web.WebConfig;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/** Which configuration keys each role reads: the key holders of the modules it runs. Stateless. */
final class Roles {
  private static final Map<String, List<Class<?>>> HOLDERS = new LinkedHashMap<>();

  static {
    // The control process of `catena up` also runs the monitor and the dashboard.
    HOLDERS.put("control", List.of(ControlConfig.class, RpcConfig.class, KvConfig.class, EtcdConfig.class,
        MgmtdConfig.class, MgmtdClientConfig.class, MgmtdServerConfig.class, MetaConfig.class,
        MetaClientConfig.class, StorageClientConfig.class, MetricsConfig.class, MonitorConfig.class,
        WebConfig.class, ExportsConfig.class));
    HOLDERS.put("mgmtd", List.of(MgmtdRoleConfig.class, MgmtdConfig.class, MgmtdServerConfig.class, RpcConfig.class,
        KvConfig.class, EtcdConfig.class, MetricsConfig.class, ExportsConfig.class));
    HOLDERS.put("meta", List.of(MetaRoleConfig.class, MetaConfig.class, KvConfig.class, EtcdConfig.class,
        RpcConfig.class, MgmtdConfig.class, MgmtdClientConfig.class, StorageClientConfig.class,
        MetricsConfig.class, ExportsConfig.class));
    HOLDERS.put("storage", List.of(StorageRoleConfig.class, StorageConfig.class, StorageClientConfig.class,
        RpcConfig.class, MgmtdClientConfig.class, MetricsConfig.class, ExportsConfig.class));
    HOLDERS.put("mount", List.of(FuseConfig.class, ClientConfig.class, MgmtdClientConfig.class,
        MetaClientConfig.class, StorageClientConfig.class, RpcConfig.class, MetricsConfig.class));
    HOLDERS.put("metalogger", List.of(io.catena.metalogger.MetaloggerConfig.class, RpcConfig.class));
    HOLDERS.put("monitor", List.of(MetricsConfig.class, MonitorConfig.class, WebConfig.class,
        MgmtdClientConfig.class, RpcConfig.class));
  }

  private Roles() {}

  static ConfigSchema schema(CommandLine cl, String role) {
    List<Class<?>> holders = HOLDERS.get(role);
    if (holders == null && cl == null) {
      throw new IllegalArgumentException("unknown role " + role);
    }
    if (holders == null) {
      throw new CommandLine.ParameterException(cl,
          "unknown role '" + role + "' (known roles: " + String.join(", ", HOLDERS.keySet()) + ")");
    }
    return ConfigSchema.fromHolders(holders.toArray(Class<?>[]::new));
  }

  /** Completion candidates and help text: the known role names. */
  static final class Names implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
      return HOLDERS.keySet().iterator();
    }
  }
}
