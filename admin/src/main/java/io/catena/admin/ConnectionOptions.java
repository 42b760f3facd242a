package io.catena.admin;

import io.catena.meta.client.MetaClientConfig;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigLoader;
import io.catena.common.config.ConfigSchema;
import io.catena.common.config.Durations;
import io.catena.common.net.Address;
import io.catena.kv.KvConfig;
import io.catena.kv.etcd.EtcdConfig;
import io.catena.meta.server.MetaConfig;
import io.catena.mgmtd.client.MgmtdClientConfig;
import io.catena.rpc.RpcConfig;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Option;

/**
 * How a command reaches the cluster (a picocli mixin shared by every command that talks to it): mgmtd addresses,
 * meta addresses, the token, the cluster id, or {@code --data DIR} for a {@code catena up} data directory, whose
 * control address comes from DIR/ports.properties and whose admin token from DIR/admin.token. Explicit options beat
 * {@code --data}; the token falls back to {@code CATENA_RPC_AUTH_TOKEN}. Not thread-safe (filled by picocli, read
 * by the command's thread).
 */
public final class ConnectionOptions {
  /** The schema of the keys the CLI reads: rpc.*, kv.* (init-cluster), mgmtd.client.*, meta.client.*. */
  static final ConfigSchema SCHEMA = ConfigSchema.fromHolders(RpcConfig.class, KvConfig.class, EtcdConfig.class,
      MgmtdClientConfig.class, MetaConfig.class, MetaClientConfig.class);

  @Option(names = "--mgmtd", paramLabel = "ADDRESS", split = ",",
      description = "mgmtd address tcp://host:port; repeat (or comma-separate) for failover "
          + "(default: from --data, else mgmtd.client.addresses / CATENA_MGMTD_CLIENT_ADDRESSES)")
  List<String> mgmtd = new ArrayList<>();

  @Option(names = "--meta", paramLabel = "ADDRESS", split = ",",
      description = "meta address for file commands (default: the mgmtd addresses; `catena up` serves both on one)")
  List<String> meta = new ArrayList<>();

  @Option(names = "--data", paramLabel = "DIR",
      description = "a `catena up` data directory: its control address and admin token")
  Path data;

  @Option(names = "--token-file", paramLabel = "FILE",
      description = "file whose first line is the token (default: DIR/admin.token with --data, else "
          + "CATENA_RPC_AUTH_TOKEN)")
  Path tokenFile;

  @Option(names = "--cluster-id", paramLabel = "ID",
      description = "cluster id (default: cluster.id / CATENA_CLUSTER_ID, else catena)")
  String clusterId;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10s",
      description = "how long one call may take, failover and retries included (default: ${DEFAULT-VALUE})")
  String timeout;

  /** The configuration of this run: defaults, CATENA_* environment, then these options. */
  Config config() {
    Map<String, String> overrides = new LinkedHashMap<>();
    Duration t;
    try {
      t = Durations.parse(timeout);
    } catch (RuntimeException e) {
      throw CatenaException.of(Errno.EINVAL, "--timeout %s is not a duration (e.g. 10s, 1min)", timeout);
    }
    overrides.put(MgmtdClientConfig.TIMEOUT.name(), Durations.format(t));
    overrides.put(MgmtdClientConfig.ATTEMPT_TIMEOUT.name(), Durations.format(t.compareTo(Duration.ofSeconds(3)) < 0
        ? t : Duration.ofSeconds(3)));
    overrides.put(MetaClientConfig.CLIENT_CALL_TIMEOUT.name(), Durations.format(t));
    List<String> addrs = mgmtdAddresses(null);
    if (!addrs.isEmpty()) {
      overrides.put(MgmtdClientConfig.ADDRESSES.name(), String.join(",", addrs));
    }
    if (clusterId != null) {
      overrides.put(MgmtdClientConfig.CLUSTER_ID.name(), clusterId);
    }
    token().ifPresent(tok -> overrides.put(RpcConfig.AUTH_TOKEN.name(), tok));
    return ConfigLoader.load(SCHEMA, null, System.getenv(), overrides);
  }

  /** The mgmtd addresses from the options or --data; {@code config} (may be null) supplies the default. */
  List<String> mgmtdAddresses(Config config) {
    List<String> out = new ArrayList<>();
    for (String a : mgmtd) {
      out.add(parse("--mgmtd", a));
    }
    if (out.isEmpty() && data != null) {
      out.addAll(controlAddresses(data));
    }
    if (out.isEmpty() && config != null) {
      out.addAll(config.get(MgmtdClientConfig.ADDRESSES));
    }
    return out;
  }

  /** Meta addresses given with --meta (empty: ask routing, see {@link AdminSession#meta}). */
  List<Address> explicitMetaAddresses() {
    return meta.stream().map(a -> Address.parse(parse("--meta", a))).toList();
  }

  private static String parse(String option, String a) {
    try {
      return Address.parse(a.trim()).toString();
    } catch (RuntimeException e) {
      throw CatenaException.of(Errno.EINVAL, "%s %s is not an address like tcp://host:port", option, a);
    }
  }

  /**
   * The mgmtd addresses of a `catena up` data directory, as `up` saved their ports: the control process's, or those of
   * every mgmtd of `up --ha` (mgmtd-1, mgmtd-2, ...).
   */
  static List<String> controlAddresses(Path dir) {
    Path ports = dir.resolve("ports.properties");
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(ports, StandardCharsets.UTF_8)) {
      p.load(r);
    } catch (IOException e) {
      throw CatenaException.of(Errno.ENOENT, "cannot read %s (%s): is %s the data directory of `catena up`?", ports,
          e.getClass().getSimpleName(), dir);
    }
    List<String> out = new ArrayList<>();
    String control = p.getProperty("control");
    if (control != null) {
      out.add(Address.tcp("127.0.0.1", Integer.parseInt(control.trim())).toString());
    }
    for (int i = 1; p.getProperty("mgmtd-" + i) != null; i++) {
      out.add(Address.tcp("127.0.0.1", Integer.parseInt(p.getProperty("mgmtd-" + i).trim())).toString());
    }
    if (out.isEmpty()) {
      throw CatenaException.of(Errno.ENOENT, "%s names no control or mgmtd port: start the cluster with `catena up "
          + "--data %s`", ports, dir);
    }
    return out;
  }

  private java.util.Optional<String> token() {
    Path f = tokenFile != null ? tokenFile : data != null ? data.resolve("admin.token") : null;
    if (f == null) {
      return java.util.Optional.empty();
    }
    if (tokenFile == null && !Files.exists(f)) {
      return java.util.Optional.empty(); // a data directory of a cluster without authentication
    }
    return java.util.Optional.of(readToken(f));
  }

  static String readToken(Path f) {
    try {
      String first = Files.readAllLines(f, StandardCharsets.UTF_8).stream().findFirst().orElse("").trim();
      if (first.isEmpty()) {
        throw CatenaException.of(Errno.EINVAL, "token file %s is empty", f);
      }
      return first;
    } catch (IOException e) {
      throw CatenaException.of(Errno.ENOENT, "cannot read token file %s (%s)", f, e.getClass().getSimpleName());
    }
  }
}
