package io.catena.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChainTable;
import io.catena.common.cluster.NodeType;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.common.net.Address;
import io.catena.mgmtd.ChainSpec;
import io.catena.mgmtd.MgmtdService;
import io.catena.mgmtd.RegisterRequest;
import io.catena.mgmtd.TargetSpec;
import io.catena.mgmtd.VersionedConfig;
import io.catena.mgmtd.client.MgmtdClient;
import io.catena.mgmtd.client.MgmtdClientConfig;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code catena mgmtd} through the real launcher, reached with the mgmtd client over RPC; kill -9 and restart. */
class MgmtdProcessTest {
  private static final String CLUSTER = "it-cluster";
  private static final String STORAGE_TOML = "mgmtd.client.heartbeat_interval = \"2s\"\n";
  private static final Pattern LISTENING = Pattern.compile("mgmtd 1 listening on (tcp://127\\.0\\.0\\.1:\\d+)");

  private static Launcher.Daemon start(Path data) {
    // A short lease: the restarted process must wait for its killed predecessor's lease to expire.
    return new Launcher.Daemon(Map.of(), "mgmtd", "--listen", "tcp://127.0.0.1:0", "--data", data.toString(),
        "--node-id", "1", "--cluster-id", CLUSTER, "--token-file", data.resolve("admin.token").toString(),
        "--set", "mgmtd.lease_duration=2s",
        "--set", "mgmtd.lease_renew_interval=500ms", "--set", "mgmtd.tick_interval=100ms");
  }

  private static Address awaitAddress(Launcher.Daemon d) throws InterruptedException {
    Matcher m = LISTENING.matcher(d.awaitLine(l -> LISTENING.matcher(l).find(), Duration.ofMinutes(3)));
    assertTrue(m.find());
    return Address.parse(m.group(1));
  }

  private static Config clientConfig(Path tokenFile) {
    return Config.defaults(ConfigSchema.fromHolders(MgmtdClientConfig.class, RpcConfig.class))
        .withUpdates(Map.of("mgmtd.client.timeout", "20s", "rpc.io_threads", "1", "rpc.auth_token_file",
            tokenFile.toString()), "test", false);
  }

  @Test
  void anUninitializedStore_isRefusedWithWhatToDo(@TempDir Path data) {
    Launcher.Result r = Launcher.run("mgmtd", "--listen", "tcp://127.0.0.1:0", "--data", data.toString(),
        "--node-id", "1", "--cluster-id", CLUSTER);
    assertEquals(1, r.exitCode(), r.out() + r.err());
    assertTrue(r.err().contains("catena admin init-cluster"), r.err());
  }

  @Test
  void clusterStateSurvivesKillNineAndARestartOnTheSameData(@TempDir Path data) throws Exception {
    Config cfg = clientConfig(Launcher.initCluster(data, CLUSTER));
    try (RpcClient rpc = Rpc.client(cfg)) {
      try (Launcher.Daemon first = start(data)) {
        Address address = awaitAddress(first);
        // Authentication is on: no token, or a wrong one, gets EACCES from the real process.
        for (String token : List.of("", "not-a-token")) {
          Config anon = Config.defaults(ConfigSchema.fromHolders(MgmtdClientConfig.class, RpcConfig.class))
              .withUpdates(Map.of("mgmtd.client.timeout", "5s", "rpc.io_threads", "1", "rpc.auth_token", token),
                  "test", false);
          try (RpcClient anonRpc = Rpc.client(anon)) {
            MgmtdService stranger = new MgmtdClient(anonRpc, List.of(address), CLUSTER, anon).service();
            io.catena.common.CatenaException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.catena.common.CatenaException.class, () -> stranger.listNodes(CLUSTER));
            assertEquals(io.catena.common.Errno.EACCES, e.errno(), e.getMessage());
          }
        }
        MgmtdService mgmtd = new MgmtdClient(rpc, List.of(address), CLUSTER, cfg).service();
        for (long n = 10001; n <= 10003; n++) {
          mgmtd.registerNode(new RegisterRequest(CLUSTER, n, NodeType.STORAGE, "tcp://127.0.0.1:" + (n - 1000), 1));
        }
        mgmtd.createTargets(CLUSTER, List.of(new TargetSpec(101, 10001, 0), new TargetSpec(102, 10002, 0),
            new TargetSpec(103, 10003, 0)));
        mgmtd.uploadChains(CLUSTER, List.of(new ChainSpec(1, List.of(101L, 102L, 103L))));
        mgmtd.uploadChainTable(CLUSTER, 1, List.of(1L));
        // The launcher hands mgmtd every role's keys, so a storage config text is checked key by key.
        try {
          mgmtd.setConfig(CLUSTER, NodeType.STORAGE, "no_such_key = 1\n");
          throw new AssertionError("an unknown storage key must be refused");
        } catch (io.catena.common.CatenaException e) {
          assertEquals(io.catena.common.Errno.EINVAL, e.errno(), e.getMessage());
          assertTrue(e.getMessage().contains("no_such_key"), e.getMessage());
        }
        mgmtd.setConfig(CLUSTER, NodeType.STORAGE, STORAGE_TOML);

        first.process.toHandle().destroyForcibly(); // kill -9: no clean shutdown, no lease release
        assertTrue(first.process.waitFor(30, TimeUnit.SECONDS));
      }

      try (Launcher.Daemon second = start(data)) {
        Address address = awaitAddress(second);
        MgmtdService mgmtd = new MgmtdClient(rpc, List.of(address), CLUSTER, cfg).service();
        List<ChainInfo> chains = mgmtd.listChains(CLUSTER);
        assertEquals(1, chains.size());
        assertEquals(List.of(101L, 102L, 103L), chains.getFirst().targetIds());
        assertEquals(List.of(new ChainTable(1, 1, List.of(1L))), mgmtd.listChainTables(CLUSTER));
        assertEquals(3, mgmtd.listTargets(CLUSTER).size());
        assertEquals(List.of(10001L, 10002L, 10003L), mgmtd.listNodes(CLUSTER).stream()
            .filter(n -> n.type() == NodeType.STORAGE).map(n -> n.nodeId()).sorted().toList());
        assertEquals(new VersionedConfig(NodeType.STORAGE, 1, STORAGE_TOML),
            mgmtd.getConfig(CLUSTER, NodeType.STORAGE, 0).orElseThrow());

        // A request for another cluster is refused by the real process too.
        MgmtdService foreign = new MgmtdClient(rpc, List.of(address), "someone-else", cfg).service();
        try {
          foreign.listNodes("someone-else");
          throw new AssertionError("a foreign cluster id must be refused");
        } catch (io.catena.common.CatenaException e) {
          assertEquals(io.catena.common.Errno.EINVAL, e.errno(), e.getMessage());
        }

        second.process.toHandle().destroy(); // SIGTERM: a clean stop
        assertTrue(second.process.waitFor(60, TimeUnit.SECONDS), "mgmtd must exit after SIGTERM");
        second.awaitLine(l -> l.contains("mgmtd 1 stopped"), Duration.ofSeconds(30));
      }
    }
  }
}
