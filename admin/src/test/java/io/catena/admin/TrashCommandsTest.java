package io.catena.admin;

import static io.catena.admin.AdminAssertions.json;
import static io.catena.admin.AdminAssertions.refused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.catena.admin.AdminTestCluster.Result;
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
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * set-trashtime, get-trashtime and trash list / restore / purge in-process against a real meta service over loopback
 * RPC; files are made and removed through a real {@link MetaClient}, as a mount would.
 */
class TrashCommandsTest {
  private AdminTestCluster c;
  private RpcClient rpc;
  private MetaClient meta;

  @BeforeEach
  void start() {
    c = new AdminTestCluster();
    c.registerStorage(10001, 10002);
    c.mgmtd.createTargets(AdminTestCluster.CLUSTER,
        List.of(new TargetSpec(11, 10001, 0), new TargetSpec(21, 10002, 0)));
    c.mgmtd.uploadChains(AdminTestCluster.CLUSTER, List.of(new ChainSpec(1, List.of(11L, 21L))));
    c.mgmtd.uploadChainTable(AdminTestCluster.CLUSTER, 1, List.of(1L));
    rpc = Rpc.client(AdminTestCluster.config());
    meta = new MetaClient(rpc, List.of(Address.parse(c.address())), "trash-test",
        MetaClient.Options.from(AdminTestCluster.config()), RandomGenerator.of("L64X128MixRandom"), Sleeper.system());
  }

  @AfterEach
  void stop() {
    meta.close();
    rpc.close();
    c.close();
  }

  private Result trash(String... args) {
    List<String> all = new ArrayList<>(List.of("trash"));
    all.add(args[0]);
    all.addAll(List.of("--mgmtd", c.address(), "--cluster-id", AdminTestCluster.CLUSTER, "--timeout", "3s"));
    all.addAll(List.of(args).subList(1, args.length));
    return AdminTestCluster.runRaw(all.toArray(String[]::new));
  }

  private Inode file(long dir, String name, long length) {
    Inode f = meta.create(UserInfo.ROOT, dir, name, 0640, OpenFlags.O_CREAT | OpenFlags.O_RDONLY, "trash-test", null)
        .inode();
    return meta.setattr(UserInfo.ROOT, f.id(), SetAttr.truncate(length));
  }

  @Test
  void setTrashtime_recursive_reportsCounts_andGetShowsIt() throws Exception {
    Inode proj = meta.mkdir(UserInfo.ROOT, MetaService.ROOT, "proj", 0755, null);
    file(proj.id(), "a", 1);
    file(proj.id(), "b", 1);
    Result set = c.run("set-trashtime", "-r", "/proj", "1d");
    assertEquals(0, set.exit(), set::toString);
    assertTrue(set.out().lines().anyMatch(l -> l.matches("/proj +1d +3 +0 +0")), set::toString);
    JsonNode again = json(c.run("set-trashtime", "-r", "/proj", "86400", "--json"));
    assertEquals(3, again.get("not_changed").asLong());
    assertEquals(86400, json(c.run("get-trashtime", "/proj/a", "--json")).get("trash_time_seconds").asLong());
    assertTrue(c.run("get-trashtime", "/proj").out().contains("1d"));
    refused(c.run("set-trashtime", "/proj", "soon"), 1, "EINVAL", "not a duration");
    refused(c.run("get-trashtime", "/nope"), 1, "ENOENT", "resolved inside Catena");
  }

  @Test
  void removedFile_isListed_restoredOrPurged() throws Exception {
    Inode proj = meta.mkdir(UserInfo.ROOT, MetaService.ROOT, "proj", 0755, null);
    assertEquals(0, c.run("set-trashtime", "/proj", "90m").exit());
    Inode a = file(proj.id(), "a", 1234);
    Inode b = file(proj.id(), "b", 10);
    meta.unlink(UserInfo.ROOT, proj.id(), "a", null);
    meta.unlink(UserInfo.ROOT, proj.id(), "b", null);

    JsonNode list = json(trash("list", "--json"));
    assertEquals(2, list.get("entries").size());
    JsonNode first = list.get("entries").get(0);
    assertEquals(a.id(), first.get("id").asLong());
    assertEquals("/proj/a", first.get("path").asText());
    assertEquals(1234, first.get("length").asLong());
    assertEquals("0640", first.get("mode").asText());
    Result table = trash("list");
    assertTrue(table.out().lines().anyMatch(l -> l.matches(a.id() + " +/proj/a +\\S+ +\\S+ +0 +1\\.2KiB")),
        table::toString);
    assertTrue(table.out().contains("2 files, 1.2KiB kept until they expire"), table::toString);

    file(proj.id(), "a", 1);
    refused(trash("restore", String.valueOf(a.id())), 1, "EEXIST", "--to PATH");
    assertEquals(0, trash("restore", String.valueOf(a.id()), "--to", "/proj/a.restored").exit());
    assertEquals(1234, meta.lookup(UserInfo.ROOT, proj.id(), "a.restored").length());
    refused(trash("restore", String.valueOf(a.id())), 1, "ENOENT", "trash list");

    Result usage = trash("purge");
    assertEquals(ExitCodes.USAGE, usage.exit(), usage::toString);
    assertTrue(usage.err().contains("exactly one of ID, --all or --older-than"), usage::toString);
  }

  @Test
  void purge_all_emptiesTheTrash() throws Exception {
    Inode proj = meta.mkdir(UserInfo.ROOT, MetaService.ROOT, "proj", 0755, null);
    assertEquals(0, c.run("set-trashtime", "/proj", "1h").exit());
    file(proj.id(), "x", 1);
    meta.unlink(UserInfo.ROOT, proj.id(), "x", null);
    assertEquals(1, json(trash("purge", "--all", "--json")).get("purged").asLong());
    assertEquals(0, json(trash("list", "--json")).get("entries").size());
    assertTrue(trash("list").out().contains("the trash is empty"));
  }
}
