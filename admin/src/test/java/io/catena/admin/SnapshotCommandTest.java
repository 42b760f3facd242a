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
import java.util.List;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code catena admin snapshot} in-process against a real meta service over loopback RPC (the files' chunks are
 * never written here, so sharing needs no storage): what it prints, what the copy holds, and its refusals.
 */
class SnapshotCommandTest {
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
    meta = new MetaClient(rpc, List.of(Address.parse(c.address())), "snapshot-test",
        MetaClient.Options.from(AdminTestCluster.config()), RandomGenerator.of("L64X128MixRandom"), Sleeper.system());
  }

  @AfterEach
  void stop() {
    meta.close();
    rpc.close();
    c.close();
  }

  @Test
  void snapshot_printsWhatItMade_andTheCopySharesEachFilesData() throws Exception {
    Inode proj = meta.mkdir(UserInfo.ROOT, MetaService.ROOT, "proj", 0755, null);
    Inode sub = meta.mkdir(UserInfo.ROOT, proj.id(), "sub", 0700, null);
    Inode a = meta.create(UserInfo.ROOT, sub.id(), "a", 0600, OpenFlags.O_CREAT | OpenFlags.O_RDONLY, "t", null)
        .inode();
    meta.setattr(UserInfo.ROOT, a.id(), SetAttr.chown(1000, 1000));
    meta.symlink(UserInfo.ROOT, proj.id(), "l", "sub/a", null);

    Result table = c.run("snapshot", "/proj", "/proj-snap");
    assertEquals(0, table.exit(), table::toString);
    List<String> lines = table.out().lines().toList();
    assertTrue(lines.get(0).matches("SOURCE +SNAPSHOT +DIRECTORIES +FILES SHARED +FILES COPIED +OTHER +BYTES"),
        table::toString);
    assertTrue(lines.get(1).matches("/proj +/proj-snap +2 +1 +0 +1 +0B"), table::toString);

    Inode copy = meta.resolve(UserInfo.ROOT, MetaService.ROOT, "/proj-snap/sub/a", false);
    assertEquals(1000, copy.uid(), "root keeps owners");
    assertEquals(0600, copy.mode());
    assertEquals(a.layout().dataOwner(a.id()), copy.layout().dataOwner(copy.id()), "the data is shared");

    JsonNode j = json(c.run("snapshot", "/proj/sub/a", "/a-snap/", "--json"));
    assertEquals("/a-snap", j.get("snapshot").asText());
    assertEquals(1, j.get("shared_files").asLong());
  }

  @Test
  void refusals_sayWhatIsWrong() {
    meta.mkdir(UserInfo.ROOT, MetaService.ROOT, "proj", 0755, null);
    meta.mkdir(UserInfo.ROOT, MetaService.ROOT, "taken", 0755, null);
    refused(c.run("snapshot", "/proj", "/taken"), 1, "EEXIST", "choose a new name");
    refused(c.run("snapshot", "/proj", "/proj/inner"), 1, "EINVAL", "outside the source");
    refused(c.run("snapshot", "proj", "/x"), 1, "EINVAL", "absolute");
    refused(c.run("snapshot", "/missing", "/x"), 1, "ENOENT", "inside Catena");
    refused(c.run("snapshot", "/proj", "/missing/x"), 1, "ENOENT", "inside Catena");
  }
}
