package io.catena.dist;

import io.catena.common.config.ConfigSchema;
import io.catena.kv.KvConfig;
import io.catena.rpc.RpcConfig;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/** Which configuration keys each role reads: the key holders of the modules it runs. Stateless. */
final class Roles {
  private static final Map<String, List<Class<?>>> HOLDERS = new LinkedHashMap<>();

  static {
    HOLDERS.put("control", List.of(ControlConfig.class, RpcConfig.class, KvConfig.class,
        io.catena.mgmtd.MgmtdConfig.class, io.catena.mgmtd.client.MgmtdClientConfig.class,
        io.catena.meta.MetaConfig.class, io.catena.storage.StorageConfig.class));
    HOLDERS.put("mgmtd", List.of(io.catena.mgmtd.MgmtdRoleConfig.class, io.catena.mgmtd.MgmtdConfig.class,
        RpcConfig.class, KvConfig.class));
    HOLDERS.put("storage", List.of(io.catena.storage.StorageRoleConfig.class, io.catena.storage.StorageConfig.class,
        RpcConfig.class, io.catena.mgmtd.client.MgmtdClientConfig.class));
    HOLDERS.put("mount", List.of(io.catena.fuse.FuseConfig.class, io.catena.client.ClientConfig.class, io.catena.mgmtd.client.MgmtdClientConfig.class,
        io.catena.meta.MetaConfig.class, io.catena.storage.StorageConfig.class, RpcConfig.class));
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
