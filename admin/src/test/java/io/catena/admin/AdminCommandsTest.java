package io.catena.admin;

import static io.catena.admin.AdminAssertions.json;
import static io.catena.admin.AdminAssertions.refused;
import static io.catena.admin.AdminTestCluster.CLUSTER;
import static io.catena.admin.AdminTestCluster.runRaw;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.catena.admin.AdminTestCluster.Result;
import io.catena.common.cluster.ChainTable;
import io.catena.common.cluster.LocalTargetState;
import io.catena.common.cluster.PublicTargetState;
import io.catena.meta.ChunkPlacement;
import io.catena.meta.Inode;
import io.catena.meta.MetaService;
import io.catena.meta.OpenFlags;
import io.catena.meta.SetAttr;
import io.catena.meta.UserInfo;
import io.catena.mgmtd.ChainSpec;
import io.catena.mgmtd.TargetSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code catena admin} command in-process against a real mgmtd and meta over loopback RPC: success output as a
 * table and as JSON (parsed back), refusals with their exit codes and one-line errors.
 */
class AdminCommandsTest {

  /** Nodes 10001-10003 with targets 11, 21, 31 (and 12 on node 10001); chain 1 = [11, 21, 31], heard UPTODATE. */
  private static AdminTestCluster smallCluster(boolean withTable) {
    AdminTestCluster c = new AdminTestCluster();
    c.registerStorage(10001, 10002, 10003);
    c.mgmtd.createTargets(CLUSTER, List.of(new TargetSpec(11, 10001, 0), new TargetSpec(21, 10002, 0),
        new TargetSpec(31, 10003, 0), new TargetSpec(12, 10001, 1), new TargetSpec(22, 10002, 1)));
    c.mgmtd.uploadChains(CLUSTER, List.of(new ChainSpec(1, List.of(11L, 21L, 31L))));
    if (withTable) {
      c.mgmtd.uploadChains(CLUSTER, List.of(new ChainSpec(2, List.of(12L, 22L))));
      c.mgmtd.uploadChainTable(CLUSTER, 1, List.of(1L, 2L));
    }
    for (long n = 10001; n <= 10003; n++) {
      c.heartbeat(n, LocalTargetState.UPTODATE);
    }
    c.advance(Duration.ofSeconds(1));
    return c;
  }

  @Test
  void clusterBuiltFromPlacementFiles_showsProgress_isIdempotent_andListsAsTablesAndJson(@TempDir Path dir)
      throws Exception {
    try (AdminTestCluster c = new AdminTestCluster()) {
      c.registerStorage(10001, 10002, 10003, 10004);
      Result plan = runRaw("placement", "--nodes", "4", "--targets-per-disk", "3", "--replication", "3",
          "--output", dir.toString());
      assertEquals(0, plan.exit(), plan::toString);

      Result targets = c.run("create-targets", "--placement", dir.toString(), "--batch", "5");
      assertEquals(0, targets.exit(), targets::toString);
      assertTrue(targets.err().contains("create-targets: 5/12 registered in mgmtd (41%)"), targets::toString);
      assertTrue(targets.err().contains("create-targets: 12/12 created on storage nodes (100%)"), targets::toString);
      assertEquals(12, c.storageTargets.size(), "every target was created on its storage node");
      assertTrue(targets.out().contains("12 targets registered in mgmtd and created on their nodes"));
      assertEquals(0, c.run("upload-chains", "--placement", dir.toString()).exit());
      Result table = c.run("upload-chain-table", "--placement", dir.toString(), "--json");
      assertEquals(1, json(table).get("chain_tables").get(0).get("version").asLong());
      for (var t : c.routing().targets()) {
        assertEquals(t.chainId(), c.storageTargets.get(t.targetId()), "storage was told the target's chain");
      }

      long version = c.routing().version();
      for (String cmd : List.of("create-targets", "upload-chains", "upload-chain-table")) {
        assertEquals(0, c.run(cmd, "--placement", dir.toString(), "--quiet").exit(), cmd);
      }
      assertEquals(version, c.routing().version(), "re-running the uploads changed nothing");

      JsonNode chains = json(c.run("list-chains", "--json")).get("chains");
      assertEquals(4, chains.size());
      for (JsonNode ch : chains) {
        assertEquals(3, ch.get("targets").size());
        assertEquals("SERVING", ch.get("targets").get(0).get("state").asText());
      }
      List<String> lines = c.run("list-chains").out().lines().toList();
      assertTrue(lines.getFirst().matches("CHAIN +VERSION +SERVING +HEAD +TAIL +MEMBERS"), lines::toString);
      assertEquals(6, lines.size(), "header, 4 chains, summary");
      assertTrue(lines.get(1).matches("100001 +1 +3/3 .*\\(SERVING\\).*"), lines::toString);

      assertEquals(12, json(c.run("list-targets", "--json")).get("targets").size());
      assertEquals(1 + 3 + 1, c.run("list-targets", "--node", "10001").out().lines().count());
      JsonNode nodes = json(c.run("list-nodes", "--json")).get("nodes");
      assertEquals(5, nodes.size(), "the mgmtd itself and 4 storage nodes");
      assertEquals("STORAGE", nodes.get(1).get("type").asText());
      JsonNode tables = json(c.run("list-chain-tables", "--json")).get("chain_tables");
      assertEquals(4, tables.get(0).get("chain_ids").size());
      assertTrue(c.run("list-chain-tables", "--chains").out().contains("100001,"));
    }
  }

  @Test
  void refusals_haveOneErrorLine_theErrno_andMeaningfulExitCodes() {
    try (AdminTestCluster c = smallCluster(false)) {
      refused(c.run("offline-target", "--target", "999"), ExitCodes.REFUSED, "ENOENT", "unknown target 999");
      refused(c.run("create-targets", "--target", "5", "--node", "999", "--chain", "1"), ExitCodes.REFUSED,
          "ENOENT", "node 999 is not registered");
      refused(runRaw("list-nodes", "--mgmtd", c.address(), "--cluster-id", "other", "--timeout", "2s"),
          ExitCodes.REFUSED, "EINVAL", "request for cluster 'other'");
      refused(runRaw("list-nodes", "--mgmtd", "tcp://127.0.0.1:1", "--cluster-id", CLUSTER, "--timeout", "300ms"),
          ExitCodes.UNREACHABLE, "ETIMEDOUT", "check --mgmtd/--data");
      Result usage = c.run("offline-target");
      assertEquals(ExitCodes.USAGE, usage.exit(), usage::toString);
      assertTrue(usage.err().contains("Missing required option: '--target=ID'"), usage::toString);
      Result unknown = runRaw("list-chainz");
      assertEquals(ExitCodes.USAGE, unknown.exit());
      assertTrue(unknown.err().contains("list-chains"), "suggests the nearest command: " + unknown);
    }
  }

  @Test
  void chainCommands_changeMembership_andRefuseWhatWouldLoseData() throws Exception {
    try (AdminTestCluster c = smallCluster(false)) {
      c.mgmtd.updateChain(CLUSTER, io.catena.mgmtd.ChainUpdate.remove(1, 31));
      JsonNode added = json(c.run("update-chain", "--chain", "1", "--add", "31", "--json")).get("chain");
      assertEquals(List.of("11:SERVING", "21:SERVING", "31:WAITING"), members(added));
      refused(c.run("update-chain", "--chain", "1", "--add", "12"), ExitCodes.REFUSED, "EINVAL",
          "already has target 11 on node 10001");
      refused(c.run("update-chain", "--chain", "1", "--add", "777"), ExitCodes.REFUSED, "ENOENT", "unknown target 777");

      Result removed = c.run("update-chain", "--chain", "1", "--remove", "31");
      assertEquals(0, removed.exit(), removed::toString);
      assertTrue(removed.out().contains("chain 1 is now at version"), removed::toString);
      JsonNode gone = json(c.run("remove-target", "--target", "31", "--json"));
      assertEquals(31, gone.get("removed_target_id").asLong());
      assertTrue(gone.get("chain").isNull(), "it was in no chain");
      assertTrue(c.routing().target(31).isEmpty());

      refused(c.run("remove-target", "--target", "11"), ExitCodes.REFUSED, "EBUSY",
          "catena admin offline-target --target 11");
      Result off = c.run("offline-target", "--target", "21");
      assertEquals(0, off.exit(), off::toString);
      assertTrue(off.out().lines().anyMatch(l -> l.matches("21 +OFFLINE +10002 ALIVE")), off::toString);
      JsonNode left = json(c.run("remove-target", "--target", "21", "--json")).get("chain");
      assertEquals(List.of("11:SERVING"), members(left));
      refused(c.run("update-chain", "--chain", "1", "--remove", "11"), ExitCodes.REFUSED, "EBUSY",
          "only member of chain 1");
      refused(c.run("rotate-lastsrv", "--chain", "1"), ExitCodes.REFUSED, "EINVAL", "chain 1 has no lastsrv");
    }
  }

  private static List<String> members(JsonNode chain) {
    List<String> out = new ArrayList<>();
    chain.get("targets").forEach(t -> out.add(t.get("target_id").asLong() + ":" + t.get("state").asText()));
    return out;
  }

  @Test
  void health_isHealthy_thenDegradedWithTheReasons_andUnreachableIsTwo() throws Exception {
    try (AdminTestCluster c = smallCluster(false)) {
      Result ok = c.run("health");
      assertEquals(0, ok.exit(), ok::toString);
      assertTrue(ok.out().contains("cluster " + CLUSTER + ": HEALTHY"), ok::toString);
      assertEquals("healthy", json(c.run("health", "--json")).get("status").asText());

      c.mgmtd.offlineTarget(CLUSTER, 31);
      Result bad = c.run("health", "--json");
      assertEquals(1, bad.exit(), bad::toString);
      JsonNode doc = AdminAssertions.JSON.readTree(bad.out());
      assertEquals("degraded", doc.get("status").asText());
      assertEquals(1, doc.get("chains").get("under_replicated").get(0).get("chain_id").asLong());
      assertEquals(31, doc.get("targets").get("not_serving").get("offline").get(0).asLong());

      // Node 10003 stops heartbeating; the others go on.
      for (int i = 0; i < 3; i++) {
        c.advance(Duration.ofSeconds(5));
        c.heartbeat(10001, LocalTargetState.UPTODATE);
        c.heartbeat(10002, LocalTargetState.UPTODATE);
      }
      c.advance(Duration.ofSeconds(1));
      Result failed = c.run("health");
      assertEquals(1, failed.exit(), failed::toString);
      assertTrue(failed.out().lines().anyMatch(l -> l.matches("failed node +10003 +STORAGE at .*")), failed::toString);
      assertTrue(failed.out().lines().anyMatch(l -> l.matches("under-replicated chain +1 +2/3 serving: .*")),
          failed::toString);

      Result down = runRaw("health", "--mgmtd", "tcp://127.0.0.1:1", "--timeout", "300ms");
      assertEquals(2, down.exit(), down::toString);
    }
  }

  @Test
  void users_getTokensOnce_rotateAndRevokeThem_andTokenFilesAreOwnerOnly(@TempDir Path dir) throws Exception {
    try (AdminTestCluster c = new AdminTestCluster()) {
      JsonNode added = json(c.run("user-add", "--name", "alice", "--uid", "1000", "--groups", "20,30", "--json"));
      String token = added.get("token").asText();
      assertTrue(token.length() >= 20, token);
      assertEquals(1000, added.get("gid").asLong(), "gid defaults to the uid");
      assertEquals("alice", c.mgmtd.authenticate(CLUSTER, token).name());

      Path f = dir.resolve("bob.token");
      Result bob = c.run("user-add", "--name", "bob", "--uid", "1001", "--admin", "--token-out", f.toString());
      assertEquals(0, bob.exit(), bob::toString);
      assertEquals("", bob.out(), "the token went to the file, not the terminal");
      assertEquals(Set.of(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
          java.nio.file.attribute.PosixFilePermission.OWNER_WRITE), Files.getPosixFilePermissions(f));
      assertTrue(c.mgmtd.authenticate(CLUSTER, Files.readString(f).trim()).admin());
      refused(c.run("user-add", "--name", "carol", "--uid", "1002", "--token-out", f.toString()), ExitCodes.REFUSED,
          "EEXIST", "token file");
      assertEquals(2, c.mgmtd.listUsers(CLUSTER).size(), "refused before the user was made");

      List<String> rows = c.run("user-list").out().lines().toList();
      assertTrue(rows.get(1).matches("1000 +alice +1000 +20,30 +no"), rows::toString);
      refused(c.run("user-add", "--name", "alice", "--uid", "1005"), ExitCodes.REFUSED, "EEXIST",
          "user name 'alice' is already used");

      String rotated = c.run("user-set-token", "--uid", "1000").out().trim();
      assertNotEquals(token, rotated);
      assertEquals(1000, c.mgmtd.authenticate(CLUSTER, rotated).uid());
      Result revoked = c.run("user-set-token", "--uid", "1000", "--revoke");
      assertTrue(revoked.out().contains("revoked") && !revoked.out().contains(rotated), revoked::toString);
      refusedToken(c, rotated);
      assertEquals(0, c.run("user-remove", "--uid", "1001").exit());
      refused(c.run("user-remove", "--uid", "1001"), ExitCodes.REFUSED, "ENOENT", "unknown uid 1001");
    }
  }

  private static void refusedToken(AdminTestCluster c, String token) {
    var e = org.junit.jupiter.api.Assertions.assertThrows(io.catena.common.CatenaException.class,
        () -> c.mgmtd.authenticate(CLUSTER, token));
    assertEquals(io.catena.common.Errno.EKEYREJECTED, e.errno());
  }

  @Test
  void config_isStoredVersioned_andPrintedBack(@TempDir Path dir) throws Exception {
    try (AdminTestCluster c = new AdminTestCluster()) {
      Path toml = dir.resolve("storage.toml");
      Files.writeString(toml, "[storage]\nanything = 1\n");
      JsonNode set = json(c.run("set-config", "--type", "STORAGE", "--file", toml.toString(), "--json"));
      assertEquals(1, set.get("version").asLong());
      assertEquals(1, json(c.run("set-config", "--type", "STORAGE", "--file", toml.toString(), "--json"))
          .get("version").asLong(), "the same text keeps its version");
      Result got = c.run("get-config", "--type", "STORAGE");
      assertEquals("# STORAGE config version 1\n[storage]\nanything = 1\n", got.out());
      assertEquals("[storage]\nanything = 1\n", json(c.run("get-config", "--type", "STORAGE", "--json"))
          .get("toml").asText());
      Result none = c.run("get-config", "--type", "META");
      refused(none, ExitCodes.REFUSED, "ENOENT", "no config stored for META nodes");
      assertTrue(none.err().contains("set-config --type META"), none::toString);
      Files.writeString(toml, "[storage\n");
      refused(c.run("set-config", "--type", "STORAGE", "--file", toml.toString()), ExitCodes.REFUSED, "EINVAL",
          "not valid TOML");
      assertEquals(ExitCodes.USAGE, c.run("get-config", "--type", "DISK").exit());
    }
  }

  @Test
  void stat_showsEachChunksChainAndReplicas_andSetLayoutChangesWhatNewFilesGet() throws Exception {
    try (AdminTestCluster c = smallCluster(true)) {
      MetaService meta = c.meta;
      Inode dir = meta.mkdir(UserInfo.ROOT, MetaService.ROOT, "data", 0755, null);
      Inode file = meta.create(UserInfo.ROOT, dir.id(), "x.bin", 0644, OpenFlags.O_CREAT | OpenFlags.O_RDONLY,
          "test", null).inode();
      meta.setattr(UserInfo.ROOT, file.id(), SetAttr.truncate(3L << 20));

      JsonNode st = json(c.run("stat", "/data/x.bin", "--json"));
      assertEquals(file.id(), st.get("inode").asLong());
      assertEquals(3, st.get("chunk_count").asLong());
      ChainTable table = c.routing().latestChainTable(1).orElseThrow();
      Set<Long> chains = new HashSet<>();
      for (int i = 0; i < 3; i++) {
        JsonNode ch = st.get("chunks").get(i);
        long expect = ChunkPlacement.chainOf(file.layout(), table, i);
        assertEquals(expect, ch.get("chain_id").asLong(), "chunk " + i);
        assertEquals(file.id() + ":" + i, ch.get("chunk_id").asText());
        JsonNode reps = ch.get("replicas");
        assertEquals(c.routing().chain(expect).orElseThrow().targets().size(), reps.size());
        assertEquals("SERVING", reps.get(0).get("state").asText());
        assertTrue(reps.get(0).get("node_id").asLong() >= 10001);
        chains.add(expect);
      }
      assertEquals(2, chains.size(), "stripe 2 spreads the chunks over both chains");
      Result text = c.run("fileinfo", "/data/x.bin");
      assertEquals(0, text.exit(), text::toString);
      assertTrue(text.out().contains("length 3145728"), text::toString);
      assertTrue(text.out().lines().anyMatch(l -> l.matches("0 +" + file.id() + ":0 +[12] +\\d+ +\\d+@1000\\d SERVING.*")),
          text::toString);
      assertTrue(text.out().contains("3 chunks"), text::toString);
      refused(c.run("stat", "/data/nope"), ExitCodes.REFUSED, "ENOENT", "inside Catena");

      Result set = c.run("set-layout", "/data", "--chunk-size", "4MiB", "--stripe", "1");
      assertEquals(0, set.exit(), set::toString);
      assertTrue(set.out().lines().anyMatch(l -> l.matches("/data +1 +4\\.0MiB +1")), set::toString);
      Inode next = meta.create(UserInfo.ROOT, dir.id(), "y.bin", 0644, OpenFlags.O_CREAT | OpenFlags.O_RDONLY,
          "test", null).inode();
      assertEquals(4 << 20, next.layout().chunkSize());
      assertEquals(1, next.layout().stripeSize());
      assertEquals(1 << 20, meta.getattr(UserInfo.ROOT, file.id()).layout().chunkSize(), "old files keep theirs");
      assertTrue(c.run("stat", "/data").out().contains("default layout for new files: chain table 1, chunk 4.0MiB, "
          + "stripe 1"));
      Result noTable = c.run("set-layout", "/data", "--chain-table", "9");
      refused(noTable, ExitCodes.REFUSED, "ENOENT", "chain table 9 does not exist");
      assertTrue(noTable.err().contains("list-chain-tables"), noTable::toString);
      refused(c.run("set-layout", "/data/x.bin", "--stripe", "1"), ExitCodes.REFUSED, "ENOTDIR", "applies to "
          + "directories");
      refused(c.run("set-layout", "/data", "--chunk-size", "3MiB"), ExitCodes.REFUSED, "EINVAL", "power of two");
    }
  }

  @Test
  void initCluster_printsTheAdminToken_once_andRefusesAnInitializedStore(@TempDir Path dir) throws Exception {
    String kv = "rocksdb://" + dir.resolve("kv");
    Path tokenFile = dir.resolve("admin.token");
    Result init = runRaw("init-cluster", "--kv", kv, "--cluster-id", "prod-1", "--token-file", tokenFile.toString());
    assertEquals(0, init.exit(), init::toString);
    assertTrue(init.err().contains("initialized cluster 'prod-1'"), init::toString);
    assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(tokenFile));
    assertTrue(Files.readString(tokenFile).trim().length() >= 20);

    Result again = runRaw("init-cluster", "--kv", kv, "--cluster-id", "prod-1", "--json");
    refused(again, ExitCodes.REFUSED, "EEXIST", "already holds cluster 'prod-1'");
    assertTrue(again.err().contains("start mgmtd on it"), again::toString);
    refused(runRaw("init-cluster", "--kv", kv, "--cluster-id", "x", "--token-file", tokenFile.toString()),
        ExitCodes.REFUSED, "EEXIST", "token file");

    JsonNode fresh = AdminAssertions.JSON.readTree(runRaw("init-cluster", "--kv", "rocksdb://" + dir.resolve("kv2"),
        "--cluster-id", "c2", "--admin-name", "ops", "--admin-uid", "500", "--json").out());
    assertEquals("ops", fresh.get("admin").get("name").asText());
    assertTrue(fresh.get("admin").get("admin").asBoolean());
    assertTrue(fresh.get("token").asText().length() >= 20);
  }

  @Test
  void initCluster_withAGivenToken_andExistsOk_canRunAtEveryStart(@TempDir Path dir) throws Exception {
    String kv = "rocksdb://" + dir.resolve("kv");
    Path secret = dir.resolve("secret-token");
    Files.writeString(secret, "0123456789abcdefghijklmnopqrstuvwxyz");  // as a Kubernetes Secret: no newline
    Result first = runRaw("init-cluster", "--kv", kv, "--cluster-id", "k8s", "--admin-token-from", secret.toString(),
        "--exists-ok");
    assertEquals(0, first.exit(), first::toString);
    assertTrue(first.err().contains("with the token in " + secret), first::toString);
    assertTrue(!first.out().contains("0123456789"), "a given token is never printed: " + first);
    Result again = runRaw("init-cluster", "--kv", kv, "--cluster-id", "k8s", "--admin-token-from", secret.toString(),
        "--exists-ok", "--json");
    assertEquals(0, again.exit(), again::toString);
    assertTrue(!json(again).get("initialized").asBoolean(), again::toString);
    Path other = dir.resolve("other-token");
    Files.writeString(other, "z".repeat(40) + "\n");
    refused(runRaw("init-cluster", "--kv", kv, "--cluster-id", "k8s", "--admin-token-from", other.toString(),
        "--exists-ok"), ExitCodes.DENIED, "EACCES", "no admin's token");
    refused(runRaw("init-cluster", "--kv", kv, "--cluster-id", "k8s", "--admin-token-from", secret.toString()),
        ExitCodes.REFUSED, "EEXIST", "already holds cluster 'k8s'");
    Files.writeString(other, "short");
    refused(runRaw("init-cluster", "--kv", "rocksdb://" + dir.resolve("kv2"), "--cluster-id", "k8s",
        "--admin-token-from", other.toString()), ExitCodes.REFUSED, "EINVAL", "at least 32");
    refused(runRaw("init-cluster", "--kv", kv, "--cluster-id", "k8s", "--admin-token-from", secret.toString(),
        "--token-file", dir.resolve("out").toString()), ExitCodes.REFUSED, "EINVAL", "not both");
  }

  @Test
  void dataDirectory_suppliesAddressAndToken(@TempDir Path dir) throws Exception {
    try (AdminTestCluster c = new AdminTestCluster()) {
      Files.writeString(dir.resolve("ports.properties"), "control=" + c.control.boundAddress().port() + "\n");
      Files.writeString(dir.resolve("admin.token"), "some-token\n");
      Result r = runRaw("list-nodes", "--data", dir.toString(), "--cluster-id", CLUSTER, "--json");
      assertEquals(1, json(r).get("nodes").size(), r::toString);
      refused(runRaw("list-nodes", "--data", dir.resolve("nope").toString()), ExitCodes.REFUSED, "ENOENT",
          "data directory of `catena up`");
    }
  }

  @Test
  void everyCommand_hasHelp_withExitCodes() {
    var cl = AdminCli.commandLine(new java.io.PrintWriter(java.io.Writer.nullWriter()),
        new java.io.PrintWriter(java.io.Writer.nullWriter()));
    assertTrue(cl.getSubcommands().size() >= 22, cl.getSubcommands().keySet()::toString);
    for (String name : cl.getSubcommands().keySet()) {
      Result r = runRaw(name, "--help");
      assertEquals(0, r.exit(), name);
      assertTrue(r.out().contains("Usage: admin " + name) || r.out().contains("Usage: admin "), name);
      if (!name.equals("placement")) {
        assertTrue(r.out().contains("Exit codes:"), name + " --help lacks the exit codes:\n" + r.out());
      }
    }
  }

  @Test
  void tablesAlignColumns() {
    String t = new Table("A", "LONGER", "C").row(1, "x", "y").row(12345, null, "z").footer("2 rows").render();
    assertEquals("A      LONGER  C\n1      x       y\n12345  -       z\n2 rows\n", t);
    assertEquals(PublicTargetState.SERVING.name(), "SERVING");
  }
}
