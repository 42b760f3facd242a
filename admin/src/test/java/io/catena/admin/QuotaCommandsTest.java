package io.catena.admin;

import static io.catena.admin.AdminAssertions.json;
import static io.catena.admin.AdminAssertions.refused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.catena.admin.AdminTestCluster.Result;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.net.Address;
import io.catena.common.retry.Sleeper;
import io.catena.meta.Inode;
import io.catena.meta.MetaService;
import io.catena.meta.OpenFlags;
import io.catena.meta.SetAttr;
import io.catena.meta.UserInfo;
import io.catena.meta.client.MetaClient;
import io.catena.mgmtd.ChainSpec;
import io.catena.mgmtd.TargetSpec;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import java.util.List;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * set-quota, quota and remove-quota in-process against a real meta service over loopback RPC; the files whose usage
 * they report are made through a real {@link MetaClient}, as a mount would make them.
 */
class QuotaCommandsTest {

  private AdminTestCluster c;
  private RpcClient rpc;
  private MetaClient meta;

  @BeforeEach
  void start() {
    c = new AdminTestCluster();
    // Files need a chain table to get a layout (their chunks are never written here).
    c.registerStorage(10001, 10002);
    c.mgmtd.createTargets(AdminTestCluster.CLUSTER, List.of(new TargetSpec(11, 10001, 0), new TargetSpec(21, 10002, 0)));
    c.mgmtd.uploadChains(AdminTestCluster.CLUSTER, List.of(new ChainSpec(1, List.of(11L, 21L))));
    c.mgmtd.uploadChainTable(AdminTestCluster.CLUSTER, 1, List.of(1L));
    rpc = Rpc.client(AdminTestCluster.config());
    meta = new MetaClient(rpc, List.of(Address.parse(c.address())), "quota-test",
        MetaClient.Options.from(AdminTestCluster.config()), RandomGenerator.of("L64X128MixRandom"), Sleeper.system());
  }

  @AfterEach
  void stop() {
    meta.close();
    rpc.close();
    c.close();
  }

  private Inode file(long dir, String name, long length) {
    Inode f = meta.create(UserInfo.ROOT, dir, name, 0644, OpenFlags.O_CREAT | OpenFlags.O_RDONLY, "quota-test", null)
        .inode();
    return length == 0 ? f : meta.setattr(UserInfo.ROOT, f.id(), SetAttr.truncate(length));
  }

  private static void edquot(Executable growth) {
    CatenaException e = assertThrows(CatenaException.class, growth);
    assertEquals(Errno.EDQUOT, e.errno(), e::toString);
  }

  @Test
  void setQuota_countsWhatIsThere_andQuotaReportsTheUsageOfFilesMadeThroughMeta() throws Exception {
    Inode proj = meta.mkdir(UserInfo.ROOT, MetaService.ROOT, "proj", 0755, null);
    Inode sub = meta.mkdir(UserInfo.ROOT, proj.id(), "sub", 0755, null);
    file(proj.id(), "a", 1000);
    file(sub.id(), "b", 2000);
    file(MetaService.ROOT, "outside", 5000);

    Result set = c.run("set-quota", "/proj", "--bytes", "10KiB", "--inodes", "5");
    assertEquals(0, set.exit(), set::toString);
    assertTrue(set.err().contains("counting what is beneath /proj"), set::toString);
    List<String> lines = set.out().lines().toList();
    assertTrue(lines.get(0).matches("PATH +STATE +BYTES USED +BYTE LIMIT +BYTES % +INODES USED +INODE LIMIT +INODES %"),
        set::toString);
    assertTrue(lines.get(1).matches("/proj +ACTIVE +2\\.9KiB +10\\.0KiB +29\\.3% +3 +5 +60\\.0%"), set::toString);

    file(sub.id(), "c", 4000);
    JsonNode q = json(c.run("quota", "/proj", "--json"));
    assertEquals("/proj", q.get("path").asText());
    assertEquals(proj.id(), q.get("inode").asLong());
    assertEquals("ACTIVE", q.get("state").asText());
    assertTrue(q.get("enforced").asBoolean());
    assertEquals(10240, q.get("max_bytes").asLong());
    assertEquals(7000, q.get("used_bytes").asLong(), "a, b and c; not the file outside, not the directory itself");
    assertEquals(4, q.get("used_inodes").asLong(), "sub, a, b, c");
    assertEquals(68.4, q.get("bytes_percent").asDouble());
    assertEquals(80.0, q.get("inodes_percent").asDouble());
    assertEquals(meta.getQuota(UserInfo.ROOT, proj.id()).orElseThrow().usedBytes(), q.get("used_bytes").asLong());

    // An inode-only quota: no byte limit, no byte percent.
    Result only = c.run("set-quota", "/proj/sub", "--inodes", "0");
    assertTrue(only.out().lines().anyMatch(l -> l.matches("/proj/sub +ACTIVE +5\\.9KiB +none +- +2 +none +-")),
        only::toString);
    assertTrue(json(c.run("quota", "/proj/sub", "--json")).get("bytes_percent").isNull());
  }

  @Test
  void growthPastALimit_isRefusedWithEdquot_atTheBoundary_andDeletingMakesRoomAgain() throws Exception {
    Inode proj = meta.mkdir(UserInfo.ROOT, MetaService.ROOT, "proj", 0755, null);
    assertEquals(0, c.run("set-quota", "/proj", "--inodes", "2").exit());
    Inode a = file(proj.id(), "a", 0);
    file(proj.id(), "b", 0); // usage == limit is allowed
    edquot(() -> file(proj.id(), "c", 0));
    edquot(() -> meta.mkdir(UserInfo.ROOT, proj.id(), "d", 0755, null));

    // Changing one limit keeps the other.
    JsonNode both = json(c.run("set-quota", "/proj", "--bytes", "4096", "--json"));
    assertEquals(4096, both.get("max_bytes").asLong());
    assertEquals(2, both.get("max_inodes").asLong());
    meta.setattr(UserInfo.ROOT, a.id(), SetAttr.truncate(4096));
    edquot(() -> meta.setattr(UserInfo.ROOT, a.id(), SetAttr.truncate(4097)));
    assertTrue(c.run("quota", "/proj").out().lines()
        .anyMatch(l -> l.matches("/proj +ACTIVE +4\\.0KiB +4\\.0KiB +100\\.0% +2 +2 +100\\.0%")));

    meta.unlink(UserInfo.ROOT, proj.id(), "a", null);
    JsonNode after = json(c.run("quota", "/proj", "--json"));
    assertEquals(0, after.get("used_bytes").asLong());
    assertEquals(1, after.get("used_inodes").asLong());
    file(proj.id(), "c", 4096);
  }

  @Test
  void removeQuota_liftsTheLimits_andQuotaThenSaysThereIsNone() throws Exception {
    Inode proj = meta.mkdir(UserInfo.ROOT, MetaService.ROOT, "proj", 0755, null);
    assertEquals(0, c.run("set-quota", "/proj", "--inodes", "1").exit());
    file(proj.id(), "a", 100);
    edquot(() -> file(proj.id(), "b", 0));

    Result removed = c.run("remove-quota", "/proj");
    assertEquals(0, removed.exit(), removed::toString);
    assertTrue(removed.out().lines().anyMatch(l -> l.matches("/proj +no byte limit, 1 inodes +100B, 1 inodes")),
        removed::toString);
    assertTrue(meta.getQuota(UserInfo.ROOT, proj.id()).isEmpty());
    file(proj.id(), "b", 0);

    Result none = c.run("quota", "/proj");
    refused(none, ExitCodes.REFUSED, "ENOENT", "no quota is set on /proj");
    assertTrue(none.err().contains("catena admin set-quota /proj"), none::toString);
    refused(c.run("remove-quota", "/proj", "--json"), ExitCodes.REFUSED, "ENOENT", "no quota is set on /proj");
  }

  @Test
  void badInput_getsTheRightExitCodeAndMessage() {
    Inode proj = meta.mkdir(UserInfo.ROOT, MetaService.ROOT, "proj", 0755, null);
    file(proj.id(), "f", 0);

    Result noLimit = c.run("set-quota", "/proj");
    assertEquals(ExitCodes.USAGE, noLimit.exit(), noLimit::toString);
    assertTrue(noLimit.err().contains("give a limit: --bytes SIZE and/or --inodes N"), noLimit::toString);
    assertTrue(noLimit.err().contains("catena admin set-quota --help"), noLimit::toString);
    refused(c.run("set-quota", "/proj", "--bytes", "-5"), ExitCodes.REFUSED, "EINVAL", "--bytes -5 is not a size");
    refused(c.run("set-quota", "/proj", "--bytes", "10XB"), ExitCodes.REFUSED, "EINVAL", "--bytes 10XB is not a size");
    refused(c.run("set-quota", "/proj", "--inodes", "-1"), ExitCodes.REFUSED, "EINVAL", "--inodes -1 is negative");
    assertEquals(ExitCodes.USAGE, c.run("set-quota", "/proj", "--inodes", "many").exit());
    refused(c.run("set-quota", "/proj/f", "--inodes", "3"), ExitCodes.REFUSED, "ENOTDIR",
        "/proj/f is a file; set-quota applies to directories");
    refused(c.run("quota", "/proj/f"), ExitCodes.REFUSED, "ENOTDIR", "quota applies to directories");
    refused(c.run("set-quota", "/nope", "--inodes", "3"), ExitCodes.REFUSED, "ENOENT", "inside Catena from its root");
    refused(c.run("remove-quota", "proj"), ExitCodes.REFUSED, "EINVAL", "must be absolute");
    assertTrue(meta.getQuota(UserInfo.ROOT, proj.id()).isEmpty(), "nothing was set by the refused calls");

    for (String cmd : List.of("set-quota", "quota", "remove-quota")) {
      Result help = AdminTestCluster.runRaw(cmd, "--help");
      assertEquals(0, help.exit(), cmd);
      assertTrue(help.out().contains("Exit codes: 0 done, 1 refused"), help::toString);
    }
    assertTrue(AdminTestCluster.runRaw("set-quota", "--help").out().contains("--bytes=SIZE"));
  }
}
