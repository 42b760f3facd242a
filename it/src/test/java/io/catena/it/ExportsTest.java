package io.catena.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.common.net.Address;
import io.catena.rpc.CallOptions;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcConfig;
import io.catena.storage.StorageRpc;
import io.catena.storage.proto.WriteReq;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Export rules (docs/exports.md) through {@code catena up} and real mounts. 127.0.0.0/8 is all loopback, so each
 * mount leaves from its own address (rpc.client_bind_address): 127.0.0.1 (up's mount) read-write, 127.0.0.2 read-only,
 * 127.0.0.3 root-squashed to 1234:1234, 127.0.0.4 matched by no rule. The last test edits the file and sees the
 * change without a restart.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ExportsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String RULES = """
      # ExportsTest
      127.0.0.1 / rw
      127.0.0.2 / ro
      127.0.0.3 / rw,maproot=1234:1234
      """;

  @TempDir static Path data;
  @TempDir static Path etc;
  static Path exportsFile;
  static SingleMachineCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    exportsFile = etc.resolve("exports.cfg");
    Files.writeString(exportsFile, RULES);
    cluster = SingleMachineCluster.start(data, Map.of("CATENA_MGMTD_EXPORTS_FILE", exportsFile.toString()));
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static Map<String, String> from(String ip) {
    return Map.of("CATENA_RPC_CLIENT_BIND_ADDRESS", ip);
  }

  private static String admin(String... args) {
    List<String> all = new ArrayList<>(List.of("admin"));
    all.addAll(List.of(args));
    all.addAll(List.of("--data", data.toString()));
    Launcher.Result r = Launcher.run(all.toArray(String[]::new));
    assertEquals(0, r.exitCode(), () -> String.join(" ", all) + " failed:\n" + r.out() + r.err());
    return r.out();
  }

  private static String reason(FileSystemException e) {
    return String.valueOf(e.getReason());
  }

  /** A storage WRITE sent straight to a storage node from {@code ip}, with the admin token: its errno. */
  private static Errno directStorageWrite(String ip) throws Exception {
    JsonNode nodes = JSON.readTree(admin("list-nodes", "--json")).get("nodes");
    String storage = null;
    for (JsonNode n : nodes) {
      if (n.get("type").asText().equals("STORAGE")) {
        storage = n.get("address").asText();
      }
    }
    Config config = Config.defaults(ConfigSchema.fromHolders(RpcConfig.class)).withUpdates(Map.of(
        RpcConfig.AUTH_TOKEN_FILE.name(), cluster.adminToken().toString(), RpcConfig.CLIENT_BIND_ADDRESS.name(), ip),
        "test", false);
    try (RpcClient rpc = Rpc.client(config)) {
      var f = rpc.call(Address.parse(storage), StorageRpc.WRITE, WriteReq.getDefaultInstance(), null,
          CallOptions.timeout(Duration.ofSeconds(10)));
      try {
        f.get(20, TimeUnit.SECONDS).close();
        return Errno.OK;
      } catch (ExecutionException e) {
        return CatenaException.statusOf(e.getCause()).code();
      }
    }
  }

  @Test
  @Order(1)
  void readOnlyExport_refusesWritesWithErofs_atTheMountAndAtStorage() throws Exception {
    Path rw = cluster.mnt;
    Files.createDirectories(rw.resolve("shared"));
    Files.writeString(rw.resolve("shared/hello.txt"), "written by the read-write client\n");

    Path ro = cluster.secondMount("ro", cluster.adminToken(), from("127.0.0.2"));
    assertEquals("written by the read-write client\n", Files.readString(ro.resolve("shared/hello.txt")));
    FileSystemException create = assertThrows(FileSystemException.class,
        () -> Files.writeString(ro.resolve("shared/new.txt"), "x"));
    assertEquals("Read-only file system", reason(create));
    FileSystemException append = assertThrows(FileSystemException.class,
        () -> Files.writeString(ro.resolve("shared/hello.txt"), "more", StandardOpenOption.APPEND));
    assertEquals("Read-only file system", reason(append));
    assertEquals("Read-only file system", reason(assertThrows(FileSystemException.class,
        () -> Files.createDirectory(ro.resolve("dir")))));
    assertEquals("Read-only file system", reason(assertThrows(FileSystemException.class,
        () -> Files.delete(ro.resolve("shared/hello.txt")))));
    assertEquals("written by the read-write client\n", Files.readString(rw.resolve("shared/hello.txt")));

    // The storage nodes refuse that client too, whatever it sends, while server traffic and other clients pass.
    assertEquals(Errno.EROFS, directStorageWrite("127.0.0.2"));
    assertEquals(Errno.EACCES, directStorageWrite("127.0.0.4"));
    Errno fromRw = directStorageWrite("127.0.0.1");
    assertNotEquals(Errno.EROFS, fromRw);
    assertNotEquals(Errno.EACCES, fromRw);
  }

  @Test
  @Order(2)
  void squashedRoot_createsFilesOwnedByTheMappedUid() throws Exception {
    Path open = Files.createDirectories(cluster.mnt.resolve("drop"));
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
    Path sq = cluster.secondMount("squash", cluster.adminToken(), from("127.0.0.3"));
    Files.writeString(sq.resolve("drop/by-root.txt"), "root wrote this\n");
    Path seen = cluster.mnt.resolve("drop/by-root.txt");
    assertEquals(1234, Files.getAttribute(seen, "unix:uid"));
    assertEquals(1234, Files.getAttribute(seen, "unix:gid"));
    assertEquals("root wrote this\n", Files.readString(seen));
    // Squashed root is no longer root: the root directory (0755, owned by root) is closed to it.
    assertThrows(AccessDeniedException.class, () -> Files.writeString(sq.resolve("at-top.txt"), "x"));
  }

  @Test
  @Order(3)
  void addressOutsideEveryRange_isRefusedAtMount() throws Exception {
    Path at = Files.createDirectories(data.resolve("outsider"));
    Launcher.Result r = Launcher.run(Duration.ofSeconds(90), from("127.0.0.4"), "mount", at.toString(),
        "--mgmtd", cluster.controlAddress, "--cluster-id", "catena", "--token-file",
        cluster.adminToken().toString());
    assertNotEquals(0, r.exitCode(), r.out() + r.err());
    assertTrue((r.out() + r.err()).contains("no export rule matches address 127.0.0.4"), r.out() + r.err());
    assertFalse(SingleMachineCluster.mounted(at));
  }

  @Test
  @Order(4)
  void editingTheFile_takesEffectWithoutRestart_andABadEditKeepsTheRules() throws Exception {
    Path ro = data.resolve("ro");
    String before = admin("exports", "show");
    assertTrue(before.contains("127.0.0.2  /     ro"), before);

    Files.writeString(exportsFile, RULES + "127.0.0.9 / rw,nonsense\n");
    // mgmtd (inside `up`, logging to its stderr) names the bad line and keeps serving the previous rules.
    cluster.up.awaitLine(l -> l.startsWith("line 5: unknown option 'nonsense'"), Duration.ofSeconds(20));
    assertEquals(before, admin("exports", "show"), "a bad edit keeps the previous rules");
    assertThrows(FileSystemException.class, () -> Files.writeString(ro.resolve("shared/after.txt"), "x"));

    Files.writeString(exportsFile, RULES.replace("127.0.0.2 / ro", "127.0.0.2 / rw"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try {
        Files.writeString(ro.resolve("shared/after.txt"), "now allowed\n");
        break;
      } catch (IOException e) {
        // Meta and storage each pick up the edit within their own refresh: a create meta already allows may still
        // have its data refused by storage for a moment, which close(2) reports as a plain IOException.
        assertTrue(String.valueOf(e.getMessage()).contains("Read-only file system"), e.toString());
        assertTrue(System.nanoTime() < deadline, "the edited rule did not take effect within 20 s");
        Thread.sleep(100);
      }
    }
    assertEquals("now allowed\n", Files.readString(cluster.mnt.resolve("shared/after.txt")));
    assertTrue(admin("exports", "show").contains("127.0.0.2  /     rw"));
  }
}
