package io.catena.meta.rpc;

import static io.catena.meta.MetaFixture.ALICE;
import static io.catena.meta.MetaFixture.BOB;
import static io.catena.meta.MetaFixture.ROOT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.meta.Access;
import io.catena.meta.DirEntry;
import io.catena.meta.FileLock;
import io.catena.meta.Inode;
import io.catena.meta.InodeType;
import io.catena.meta.Layout;
import io.catena.meta.LockRequest;
import io.catena.meta.MetaFixture;
import io.catena.meta.MetaService;
import io.catena.meta.OpenFlags;
import io.catena.meta.OpenResult;
import io.catena.meta.ReaddirPage;
import io.catena.meta.RenameFlags;
import io.catena.meta.RequestId;
import io.catena.meta.SetAttr;
import io.catena.meta.StatFs;
import io.catena.meta.UserInfo;
import io.catena.meta.XattrFlags;
import io.catena.meta.client.MetaClient;
import io.catena.meta.server.MetaRpcService;
import io.catena.rpc.ServiceDefinition;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Every MetaService method through MetaClient and a real RPC server, each with its answer compared with the in-process
 * service and at least one error path, so every field crosses the wire and every errno arrives unchanged.
 */
class MetaOverRpcTest {
  final MetaFixture f = new MetaFixture();
  final MetaRpcCluster cluster = new MetaRpcCluster(f, 1);
  final MetaClient m = cluster.client("rpc-test", 1);
  final MetaService local = f.meta;
  final long tmp = f.openDir("tmp").id();

  @AfterEach
  void stop() {
    cluster.close();
  }

  static CatenaException expect(Errno errno, Executable op) {
    CatenaException e = assertThrows(CatenaException.class, op);
    assertEquals(errno, e.errno(), () -> "wrong errno: " + e.getMessage());
    return e;
  }

  @Test
  void everyMethodId_isServedExactlyOnce() {
    ServiceDefinition d = MetaRpcService.definition(local);
    assertEquals(MetaMethods.SERVICE_ID, d.serviceId());
    Set<Integer> served = d.bindings().stream().map(b -> b.method().methodId()).collect(Collectors.toSet());
    Set<Integer> declared = java.util.stream.Stream.concat(MetaMethods.ALL.stream(), TrashMethods.ALL.stream())
        .map(x -> x.methodId()).collect(Collectors.toSet());
    assertEquals(declared, served);
    assertEquals(MetaMethods.ALL.size() + TrashMethods.ALL.size(), d.bindings().size());
    assertTrue(d.bindings().stream().noneMatch(ServiceDefinition.Binding::inline), "KV calls block: worker pool");
    Set<String> inline = MetaRpcService.definition(local, true, false).bindings().stream()
        .filter(ServiceDefinition.Binding::inline).map(b -> b.method().fullName()).collect(Collectors.toSet());
    assertEquals(Set.of("catena.meta.Meta/Lookup", "catena.meta.Meta/Getattr", "catena.meta.Meta/BatchGetattr",
        "catena.meta.Meta/Readlink", "catena.meta.Meta/Access"), inline);
    Set<String> inlineWrites = MetaRpcService.definition(local, false, true).bindings().stream()
        .filter(ServiceDefinition.Binding::inline).map(b -> b.method().fullName()).collect(Collectors.toSet());
    assertEquals(Set.of("catena.meta.Meta/Create", "catena.meta.Meta/Close", "catena.meta.Meta/Unlink"),
        inlineWrites, "the calls of a create or remove loop, and only those");
  }

  @Test
  void statfsAndAttributeReads_matchTheInProcessService() {
    StatFs s = m.statfs(ALICE);
    assertEquals(local.statfs(ALICE), s);
    assertEquals(1L << 40, s.capacityBytes());
    Inode a = m.create(ALICE, tmp, "a", 0640, OpenFlags.O_CREAT | OpenFlags.O_EXCL, "c1", null).inode();
    assertEquals(a, local.getattr(ALICE, a.id()));
    assertEquals(a, m.getattr(BOB, a.id()));
    assertEquals(a, m.lookup(ALICE, tmp, "a"));
    assertEquals(local.getattr(ROOT, MetaService.ROOT), m.getattr(ROOT, MetaService.ROOT)); // name "/", no target
    assertEquals(List.of(Optional.of(a), Optional.empty()), m.batchGetattr(ALICE, List.of(a.id(), 999_999L)));
    expect(Errno.ENOENT, () -> m.getattr(ALICE, 999_999L));
    expect(Errno.ENOENT, () -> m.lookup(ALICE, tmp, "missing"));
    expect(Errno.ENOENT, () -> m.lookup(ALICE, tmp, null));
    expect(Errno.ENOTDIR, () -> m.lookup(ALICE, a.id(), "x"));
  }

  @Test
  void errors_keepErrnoMessageAndRetryableFlag() {
    m.mkdir(ALICE, tmp, "d", 0700, null);
    CatenaException e = expect(Errno.EEXIST, () -> m.mkdir(ALICE, tmp, "d", 0700, null));
    assertFalse(e.isRetryable());
    assertTrue(e.getMessage().contains("'d' exists"), e.getMessage());
    long d = m.lookup(ALICE, tmp, "d").id();
    expect(Errno.EACCES, () -> m.create(BOB, d, "x", 0644, OpenFlags.O_CREAT, "c", null));
    expect(Errno.ENAMETOOLONG, () -> m.mkdir(ALICE, tmp, "n".repeat(256), 0755, null));
    expect(Errno.EINVAL, () -> m.mkdir(ALICE, tmp, "a/b", 0755, null));
    // protobuf would turn a lone surrogate into '?'; the client refuses instead, with the errno meta gives.
    expect(Errno.EILSEQ, () -> m.mkdir(ALICE, tmp, "bad\uD800", 0755, null));
    expect(Errno.EILSEQ, () -> local.mkdir(ALICE, tmp, "bad\uD800", 0755, null));
  }

  @Test
  void createOpenHintSyncClose_carrySessionsAndLengths() {
    OpenResult c = m.create(ALICE, tmp, "f", 0644, OpenFlags.O_CREAT | OpenFlags.O_RDWR, "c1", f.req());
    assertTrue(c.sessionId() != 0);
    assertEquals(c.inode(), local.getattr(ALICE, c.inode().id()));
    long ino = c.inode().id();
    assertEquals(100, m.lengthHint(ALICE, ino, c.sessionId(), 100, 0).length());
    expect(Errno.EBADF, () -> m.lengthHint(ALICE, ino, 12345, 200, 0));
    f.storage.lengths.put(ino, 4096L);
    assertEquals(4096, m.sync(ALICE, ino, c.sessionId(), true).length());
    assertEquals(4096, m.close(ALICE, ino, c.sessionId(), true).length());
    OpenResult o = m.open(ALICE, ino, OpenFlags.O_RDONLY, null);
    assertEquals(0, o.sessionId());
    expect(Errno.EACCES, () -> m.open(BOB, ino, OpenFlags.O_WRONLY, "c2"));
    expect(Errno.EINVAL, () -> m.open(ALICE, ino, OpenFlags.O_WRONLY, null)); // a writable open needs a client id
    expect(Errno.EEXIST, () -> m.create(ALICE, tmp, "f", 0644, OpenFlags.O_CREAT | OpenFlags.O_EXCL, "c1", null));
    OpenResult t = m.create(ALICE, tmp, "f", 0644, OpenFlags.O_CREAT | OpenFlags.O_TRUNC | OpenFlags.O_WRONLY, "c1",
        null);
    assertEquals(0, t.inode().length());
    assertEquals(0L, f.storage.truncatedTo.get(ino));
    m.close(ALICE, ino, t.sessionId(), false);
    f.assertConsistent();
  }

  @Test
  void mknodSymlinkReadlinkLink_roundTrip() {
    Inode fifo = m.mknod(ALICE, tmp, "p", 0010644, 0, null);
    assertEquals(InodeType.FIFO, fifo.type());
    Inode dev = m.mknod(ROOT, tmp, "dev", 0020600, 0x0501, null);
    assertEquals(0x0501, dev.rdev());
    expect(Errno.EPERM, () -> m.mknod(ALICE, tmp, "dev2", 0020600, 1, null));
    Inode s = m.symlink(ALICE, tmp, "s", "target/ü", null);
    assertEquals("target/ü", s.symlinkTarget());
    assertEquals("target/ü", m.readlink(ALICE, s.id()));
    expect(Errno.ENOENT, () -> m.symlink(ALICE, tmp, "s2", null, null));
    expect(Errno.EINVAL, () -> m.readlink(ALICE, fifo.id()));
    Inode a = m.create(ALICE, tmp, "a", 0644, OpenFlags.O_CREAT, "c", null).inode();
    Inode linked = m.link(ALICE, a.id(), tmp, "b", null);
    assertEquals(2, linked.nlink());
    expect(Errno.EEXIST, () -> m.link(ALICE, a.id(), tmp, "b", null));
    expect(Errno.EPERM, () -> m.link(ALICE, tmp, tmp, "dirlink", null));
    f.assertConsistent();
  }

  @Test
  void unlinkRmdirRenameRemoveRecursive_andTheirErrors() {
    Inode d = m.mkdir(ALICE, tmp, "d", 0755, null);
    m.create(ALICE, d.id(), "x", 0644, OpenFlags.O_CREAT, "c", null);
    expect(Errno.ENOTEMPTY, () -> m.rmdir(ALICE, tmp, "d", null));
    expect(Errno.EISDIR, () -> m.unlink(ALICE, tmp, "d", null));
    m.rename(ALICE, d.id(), "x", tmp, "y", 0, null);
    assertEquals(InodeType.FILE, local.lookup(ALICE, tmp, "y").type());
    m.create(ALICE, tmp, "z", 0644, OpenFlags.O_CREAT, "c", null);
    expect(Errno.EEXIST, () -> m.rename(ALICE, tmp, "y", tmp, "z", RenameFlags.NOREPLACE, null));
    expect(Errno.ENOENT, () -> m.rename(ALICE, tmp, "nope", tmp, "w", 0, null));
    m.unlink(ALICE, tmp, "y", null);
    expect(Errno.ENOENT, () -> m.unlink(ALICE, tmp, "y", null));
    m.rmdir(ALICE, tmp, "d", null);
    expect(Errno.ENOENT, () -> m.rmdir(ALICE, tmp, "d", null));
    Inode top = m.mkdir(ALICE, tmp, "tree", 0755, null);
    Inode sub = m.mkdir(ALICE, top.id(), "sub", 0755, null);
    m.create(ALICE, sub.id(), "leaf", 0644, OpenFlags.O_CREAT, "c", null);
    assertEquals(3, m.removeRecursive(ALICE, tmp, "tree", null));
    expect(Errno.ENOENT, () -> m.removeRecursive(ALICE, tmp, "tree", null));
    f.assertConsistent();
  }

  @Test
  void readdir_pagesWithCursorAndPlus() {
    for (int i = 0; i < 5; i++) {
      m.create(ALICE, tmp, "e" + i, 0644, OpenFlags.O_CREAT, "c", null);
    }
    ReaddirPage p1 = m.readdir(ALICE, tmp, null, 3, true);
    assertEquals(local.readdir(ALICE, tmp, null, 3, true), p1);
    assertEquals(List.of("e0", "e1", "e2"), p1.entries().stream().map(DirEntry::name).toList());
    assertEquals(3, p1.attrs().size());
    assertTrue(p1.more());
    ReaddirPage p2 = m.readdir(ALICE, tmp, p1.cursor(), 3, false);
    assertEquals(List.of("e3", "e4"), p2.entries().stream().map(DirEntry::name).toList());
    assertTrue(p2.attrs().isEmpty());
    assertFalse(p2.more());
    ReaddirPage empty = m.readdir(ALICE, m.mkdir(ALICE, tmp, "empty", 0755, null).id(), null, 10, false);
    assertNull(empty.cursor());
    expect(Errno.EINVAL, () -> m.readdir(ALICE, tmp, null, 0, false));
    expect(Errno.ENOTDIR, () -> m.readdir(ALICE, m.lookup(ALICE, tmp, "e0").id(), null, 10, false));
  }

  @Test
  void setattr_sendsOnlyTheFieldsSet() {
    Inode a = m.create(ALICE, tmp, "a", 0644, OpenFlags.O_CREAT, "c", null).inode();
    assertEquals(0600, m.setattr(ALICE, a.id(), SetAttr.chmod(0600)).mode());
    Inode owned = m.setattr(ROOT, a.id(), SetAttr.chown(2000, -1));
    assertEquals(2000, owned.uid());
    assertEquals(1000, owned.gid());
    assertEquals(10, m.setattr(ROOT, a.id(), SetAttr.truncate(10)).length());
    Inode timed = m.setattr(ROOT, a.id(), SetAttr.times(5L, 6L));
    assertEquals(5, timed.atime());
    assertEquals(6, timed.mtime());
    Inode d = m.mkdir(ALICE, tmp, "d", 0755, null);
    Layout l = Layout.defaults(1, 4 << 20, 2);
    assertEquals(l, m.setattr(ALICE, d.id(), SetAttr.layout(l)).layout());
    expect(Errno.EPERM, () -> m.setattr(BOB, d.id(), SetAttr.chmod(0777)));
    UserInfo big = UserInfo.of(-2, -3, -4); // uids above 2^31 travel as uint32 and come back bit-exact
    Inode b = m.create(ROOT, tmp, "big", 0644, OpenFlags.O_CREAT, "c", null).inode();
    Inode chowned = m.setattr(ROOT, b.id(), SetAttr.chown(big.uid(), big.gid()));
    assertEquals(-2, chowned.uid());
    assertEquals(-3, chowned.gid());
  }

  @Test
  void resolveRealpathAccess_followTheInProcessRules() {
    Inode d = m.mkdir(ALICE, tmp, "d", 0755, null);
    Inode a = m.create(ALICE, d.id(), "a", 0600, OpenFlags.O_CREAT, "c", null).inode();
    m.symlink(ALICE, tmp, "link", "d/a", null);
    assertEquals(a.id(), m.resolve(ALICE, MetaService.ROOT, "/tmp/link", true).id());
    assertEquals(InodeType.SYMLINK, m.resolve(ALICE, tmp, "link", false).type());
    assertEquals("/tmp/d/a", m.realpath(ALICE, "/tmp//link"));
    expect(Errno.ENOENT, () -> m.resolve(ALICE, MetaService.ROOT, "/tmp/nope", true));
    m.access(ALICE, a.id(), Access.R_OK | Access.W_OK);
    expect(Errno.EACCES, () -> m.access(BOB, a.id(), Access.R_OK));
  }

  @Test
  void xattrs_roundTripValuesAndFlags() {
    Inode a = m.create(ALICE, tmp, "a", 0644, OpenFlags.O_CREAT, "c", null).inode();
    byte[] v = "blue\0green".getBytes(StandardCharsets.UTF_8);
    m.setxattr(ALICE, a.id(), "user.color", v, XattrFlags.CREATE, null);
    m.setxattr(ALICE, a.id(), "user.empty", new byte[0], 0, null);
    assertArrayEquals(v, m.getxattr(BOB, a.id(), "user.color"));
    assertArrayEquals(new byte[0], m.getxattr(BOB, a.id(), "user.empty"));
    assertEquals(Set.copyOf(local.listxattr(ALICE, a.id())), Set.copyOf(m.listxattr(ALICE, a.id())));
    expect(Errno.EEXIST, () -> m.setxattr(ALICE, a.id(), "user.color", v, XattrFlags.CREATE, null));
    expect(Errno.EACCES, () -> m.setxattr(BOB, a.id(), "user.color", v, 0, null));
    m.removexattr(ALICE, a.id(), "user.color", null);
    expect(Errno.ENODATA, () -> m.getxattr(ALICE, a.id(), "user.color"));
    expect(Errno.ENODATA, () -> m.removexattr(ALICE, a.id(), "user.color", null));
  }

  @Test
  void locks_setGetAndConflict() {
    long ino = m.create(ALICE, tmp, "a", 0644, OpenFlags.O_CREAT, "c", null).inode().id();
    m.setLock(ALICE, ino, LockRequest.range("c1", 1, LockRequest.Type.WRITE, 100, 100));
    expect(Errno.EAGAIN, () -> m.setLock(ALICE, ino, LockRequest.range("c2", 1, LockRequest.Type.READ, 150, 1)));
    Optional<FileLock> g = m.getLock(ALICE, ino, LockRequest.range("c3", 1, LockRequest.Type.READ, 150, 0));
    assertEquals(new FileLock("c1", 1, LockRequest.Kind.POSIX, LockRequest.Type.WRITE, 100, 200), g.orElseThrow());
    assertTrue(m.getLock(ALICE, ino, LockRequest.flock("c3", 1, LockRequest.Type.WRITE)).isEmpty());
  }

  @Test
  void callerRequestIds_areUsedAsGiven() {
    RequestId r = new RequestId("fuse-7", 42);
    OpenResult first = m.create(ALICE, tmp, "a", 0644, OpenFlags.O_CREAT | OpenFlags.O_EXCL, "c", r);
    // The same id through the in-process service finds the record the RPC call stored.
    assertEquals(first.inode(), local.create(ALICE, tmp, "a", 0644, OpenFlags.O_CREAT | OpenFlags.O_EXCL, "c",
        r).inode());
    assertEquals(first.inode(), m.create(ALICE, tmp, "a", 0644, OpenFlags.O_CREAT | OpenFlags.O_EXCL, "c", r)
        .inode());
    assertEquals(tmp, first.parent().id(), "the directory's attributes travel with the first answer");
  }
}
