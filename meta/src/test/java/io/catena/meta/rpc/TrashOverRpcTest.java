package io.catena.meta.rpc;

import static io.catena.meta.MetaFixture.ALICE;
import static io.catena.meta.MetaFixture.BOB;
import static io.catena.meta.MetaFixture.ROOT;
import static io.catena.meta.MetaFixture.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.Errno;
import io.catena.meta.Inode;
import io.catena.meta.MetaFixture;
import io.catena.meta.OpenFlags;
import io.catena.meta.TrashEntry;
import io.catena.meta.TrashService;
import io.catena.meta.TrashTimeChange;
import io.catena.meta.client.MetaClient;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Trash through MetaClient and a real RPC server: every field, errno and the optional restore path cross the wire. */
class TrashOverRpcTest {
  final MetaFixture f = new MetaFixture();

  @Test
  void trashTimeListRestoreAndPurge_overRpc_matchTheService() {
    try (MetaRpcCluster c = new MetaRpcCluster(f, 1)) {
      MetaClient client = c.client("rpc-trash", 1);
      TrashService t = client.trash();
      long d = f.openDir("d").id();
      assertEquals(new TrashTimeChange(1, 0, 0), t.setTrashTime(ROOT, d, 120, true));
      assertEquals(120, t.getTrashTime(ALICE, d));
      expect(Errno.EPERM, () -> t.setTrashTime(ALICE, d, 5, false));
      expect(Errno.EINVAL, () -> t.setTrashTime(ROOT, d, -5, false));
      Inode a = client.create(ALICE, d, "a", 0600, OpenFlags.O_CREAT, "c", null).inode();
      Inode b = client.create(ALICE, d, "b", 0600, OpenFlags.O_CREAT, "c", null).inode();
      client.unlink(ALICE, d, "a", null);
      client.unlink(ALICE, d, "b", null);
      List<TrashEntry> seen = t.listTrash(ALICE, -1, 10);
      assertEquals(f.meta.trash().listTrash(ALICE, -1, 10), seen);
      assertEquals(2, seen.size());
      assertEquals(1, t.listTrash(ALICE, -1, 1).size());
      assertEquals(List.of(seen.get(1)), t.listTrash(ALICE, seen.get(0).id(), 10));
      assertTrue(t.listTrash(BOB, -1, 10).isEmpty());
      expect(Errno.EPERM, () -> t.restore(BOB, a.id(), null));
      assertEquals(a.id(), t.restore(ALICE, a.id(), null).id());
      assertEquals(b.id(), t.restore(ALICE, b.id(), "/d/b2").id());
      assertEquals(b.id(), client.lookup(ALICE, d, "b2").id());
      client.unlink(ALICE, d, "b2", null);
      expect(Errno.ENOENT, () -> t.restore(ALICE, 999999, null));
      assertEquals(1, t.purge(ALICE, b.id(), 0));
      assertEquals(0, t.purge(ROOT, -1, 0));
      f.assertConsistent();
    }
  }
}
