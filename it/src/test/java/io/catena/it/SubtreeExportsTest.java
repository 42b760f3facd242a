package io.catena.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.client.ClientConfig;
import io.catena.client.ClusterConnection;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.NodeType;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.meta.UserInfo;
import io.catena.meta.client.MetaClientConfig;
import io.catena.meta.goal.GoalClient;
import io.catena.mgmtd.client.MgmtdClientConfig;
import io.catena.rpc.RpcConfig;
import io.catena.storage.client.StorageClientConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Export subtrees and goal bounds (docs/exports.md) through {@code catena up}, a real {@code catena mount --subdir}
 * and the Java client. Clients from 127.0.0.5 match only a rule for {@code /proj}; the control host (127.0.0.1, up's
 * own mount and {@code catena admin}) has the whole tree with goals bounded to 2.
 */
class SubtreeExportsTest {
  private static final String RULES = """
      # SubtreeExportsTest
      127.0.0.5 /proj rw,alldirs,maxgoal=1
      127.0.0.1 / rw,maxgoal=2
      """;
  private static final Map<String, String> FROM_5 = Map.of("CATENA_RPC_CLIENT_BIND_ADDRESS", "127.0.0.5");

  @TempDir static Path data;
  @TempDir static Path etc;
  static SingleMachineCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    Path exports = etc.resolve("exports.cfg");
    Files.writeString(exports, RULES);
    cluster = SingleMachineCluster.start(data, Map.of("CATENA_MGMTD_EXPORTS_FILE", exports.toString()));
    Files.createDirectories(cluster.mnt.resolve("proj/sub"));
    Files.writeString(cluster.mnt.resolve("proj/hello.txt"), "inside\n");
    Files.createDirectories(cluster.mnt.resolve("secret"));
    Files.writeString(cluster.mnt.resolve("secret/s.txt"), "outside\n");
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static Launcher.Result mountFrom5(Path at, String... extra) {
    List<String> args = new java.util.ArrayList<>(List.of("mount", at.toString(), "--mgmtd", cluster.controlAddress,
        "--cluster-id", "catena", "--token-file", cluster.adminToken().toString()));
    args.addAll(List.of(extra));
    return Launcher.run(Duration.ofSeconds(90), FROM_5, args.toArray(String[]::new));
  }

  @Test
  void subdirMount_seesOnlyItsDirectory_andCannotClimbOut() throws Exception {
    Path m = cluster.secondMount("projmnt", cluster.adminToken(), FROM_5, "--subdir", "/proj");
    try (Stream<Path> s = Files.list(m)) {
      assertEquals(List.of("hello.txt", "sub"), s.map(p -> p.getFileName().toString()).sorted().toList());
    }
    assertEquals("inside\n", Files.readString(m.resolve("hello.txt")));
    // ".." of a directory inside leads back to the mount's root, never above it.
    assertEquals(Files.getAttribute(m, "unix:ino"), Files.getAttribute(m.resolve("sub/.."), "unix:ino"));
    assertEquals("inside\n", Files.readString(m.resolve("sub/../hello.txt")));
    Files.writeString(m.resolve("sub/new.txt"), "from the subdir mount\n");
    assertEquals("from the subdir mount\n", Files.readString(cluster.mnt.resolve("proj/sub/new.txt")));
    // The control directory sits at the mount's root.
    assertTrue(Files.readString(m.resolve(".catena-virt/get-conf")).contains("client.subdir"),
        "get-conf at the subdir mount's root");
  }

  @Test
  void mountingTheRoot_orAMissingDirectory_isRefused() throws Exception {
    Path at = Files.createDirectories(data.resolve("rootmnt"));
    Launcher.Result root = mountFrom5(at);
    assertNotEquals(0, root.exitCode(), root.out() + root.err());
    assertTrue((root.out() + root.err()).contains("no export rule for address 127.0.0.5 admits user"),
        root.out() + root.err());
    assertFalse(SingleMachineCluster.mounted(at));
    Launcher.Result missing = mountFrom5(at, "--subdir", "/proj/nope");
    assertNotEquals(0, missing.exitCode(), missing.out() + missing.err());
    assertTrue((missing.out() + missing.err()).contains("/proj/nope does not exist"), missing.out() + missing.err());
    assertFalse(SingleMachineCluster.mounted(at));
  }

  @Test
  void javaClientOfTheSubtree_getsEaccesForOutsideInodes_andItsGoalBound() throws Exception {
    long secret = (Long) Files.getAttribute(cluster.mnt.resolve("secret/s.txt"), "unix:ino");
    long secretDir = (Long) Files.getAttribute(cluster.mnt.resolve("secret"), "unix:ino");
    long hello = (Long) Files.getAttribute(cluster.mnt.resolve("proj/hello.txt"), "unix:ino");
    Config config = Config.defaults(ConfigSchema.fromHolders(ClientConfig.class, MgmtdClientConfig.class,
        MetaClientConfig.class, StorageClientConfig.class, RpcConfig.class)).withUpdates(Map.of(
            MgmtdClientConfig.ADDRESSES.name(), cluster.controlAddress,
            MgmtdClientConfig.CLUSTER_ID.name(), "catena",
            RpcConfig.AUTH_TOKEN_FILE.name(), cluster.adminToken().toString(),
            RpcConfig.CLIENT_BIND_ADDRESS.name(), "127.0.0.5",
            ClientConfig.SUBDIR.name(), "/proj"), "test", false);
    try (ClusterConnection c = ClusterConnection.open(config, NodeType.FUSE, "it", "subtree test")) {
      assertEquals(hello, c.meta().getattr(UserInfo.ROOT, hello).id());
      assertEquals(Errno.EACCES, assertThrows(CatenaException.class,
          () -> c.meta().getattr(UserInfo.ROOT, secret)).errno());
      assertEquals(Errno.EACCES, assertThrows(CatenaException.class,
          () -> c.meta().readdir(UserInfo.ROOT, secretDir, null, 10, false)).errno());
      assertEquals(Errno.EACCES, assertThrows(CatenaException.class,
          () -> c.meta().rename(UserInfo.ROOT, c.root(), "hello.txt", secretDir, "taken", 0, null)).errno());
      CatenaException goal = assertThrows(CatenaException.class,
          () -> new GoalClient(c.meta()).setGoal(UserInfo.ROOT, c.root(), 2, false));
      assertEquals(Errno.EPERM, goal.errno());
      assertTrue(goal.getMessage().contains("allows goals at most 1, not 2"), goal.getMessage());
    }
  }

  @Test
  void adminSetGoal_beyondTheControlHostsMaxgoal_isRefusedWithAClearMessage() {
    Launcher.Result r = Launcher.run("admin", "set-goal", "/proj", "3", "--data", data.toString());
    assertNotEquals(0, r.exitCode(), r.out() + r.err());
    assertTrue(r.err().contains("allows goals at most 2, not 3 (EPERM): the export rules for this host decide"),
        r.err());
    Launcher.Result ok = Launcher.run("admin", "set-goal", "/proj", "2", "--data", data.toString());
    assertEquals(0, ok.exitCode(), ok.out() + ok.err());
  }
}
