package io.catena.meta;

import static io.catena.meta.MetaFixture.ALICE;
import static io.catena.meta.MetaFixture.BOB;
import static io.catena.meta.MetaFixture.ROOT;
import static io.catena.meta.MetaFixture.expect;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.catena.common.Errno;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class MknodAndXattrTest {
  final MetaFixture f = new MetaFixture();
  final MetaService m = f.meta;
  final long tmp = f.openDir("tmp").id();

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void mknodOfFifoAndSocket_storesTheType() {
    Inode p = m.mknod(ALICE, tmp, "pipe", 0010644, 0, null);
    assertEquals(InodeType.FIFO, p.type());
    assertEquals(0010644, p.stMode());
    Inode s = m.mknod(ALICE, tmp, "sock", 0140600, 0, null);
    assertEquals(InodeType.SOCKET, s.type());
    assertEquals(InodeType.SOCKET, m.lookup(ALICE, tmp, "sock").type());
  }

  @Test
  void mknodOfDeviceByRoot_storesRdevAndByOthersFailsWithEperm() {
    Inode c = m.mknod(ROOT, tmp, "null", 0020666, (1L << 8) | 3, null);
    assertEquals(InodeType.CHAR_DEVICE, c.type());
    assertEquals(259, c.rdev());
    Inode blk = m.mknod(ROOT, tmp, "sda", 0060660, 8 << 8, null);
    assertEquals(InodeType.BLOCK_DEVICE, m.getattr(ALICE, blk.id()).type());
    assertEquals(8 << 8, m.getattr(ALICE, blk.id()).rdev());
    f.expectNothingWritten(Errno.EPERM, () -> m.mknod(ALICE, tmp, "dev", 0020666, 1, null));
  }

  @Test
  void mknodOfDirectoryOrBadType_fails() {
    expect(Errno.EPERM, () -> m.mknod(ROOT, tmp, "d", 0040755, 0, null));
    expect(Errno.EINVAL, () -> m.mknod(ROOT, tmp, "s", 0120777, 0, null));
    expect(Errno.EINVAL, () -> m.mknod(ROOT, tmp, "s", 0170777, 0, null));
  }

  @Test
  void mknodOfRegularFile_getsALayout() {
    Inode r = m.mknod(ALICE, tmp, "r", 0644, 0, null);
    assertEquals(InodeType.FILE, r.type());
    assertNotNull(r.layout());
  }

  @Test
  void unlinkOfFifo_deletesTheInodeAtOnce() {
    Inode p = m.mknod(ALICE, tmp, "pipe", 0010644, 0, null);
    m.unlink(ALICE, tmp, "pipe", null);
    expect(Errno.ENOENT, () -> m.getattr(ALICE, p.id()));
    f.assertConsistent();
  }

  @Test
  void userXattr_setGetListRemove() {
    Inode a = f.file(ALICE, tmp, "a", 0644);
    f.tick();
    m.setxattr(ALICE, a.id(), "user.color", b("blue"), 0, null);
    assertEquals(f.meta.context().nowNanos(), m.getattr(ALICE, a.id()).ctime());
    m.setxattr(ALICE, a.id(), "user.empty", new byte[0], 0, null);
    assertArrayEquals(b("blue"), m.getxattr(BOB, a.id(), "user.color"));
    assertArrayEquals(new byte[0], m.getxattr(BOB, a.id(), "user.empty"));
    assertEquals(List.of("user.color", "user.empty"), m.listxattr(BOB, a.id()));
    m.removexattr(ALICE, a.id(), "user.color", null);
    expect(Errno.ENODATA, () -> m.getxattr(ALICE, a.id(), "user.color"));
    expect(Errno.ENODATA, () -> m.removexattr(ALICE, a.id(), "user.color", null));
  }

  @Test
  void userXattr_needsWritePermissionToSetAndReadPermissionToGet() {
    Inode a = f.file(ALICE, tmp, "a", 0640);
    m.setxattr(ALICE, a.id(), "user.k", b("v"), 0, null);
    expect(Errno.EACCES, () -> m.setxattr(BOB, a.id(), "user.k", b("w"), 0, null));
    expect(Errno.EACCES, () -> m.getxattr(BOB, a.id(), "user.k"));
    expect(Errno.EACCES, () -> m.removexattr(BOB, a.id(), "user.k", null));
    assertDoesNotThrow(() -> m.setxattr(ROOT, a.id(), "user.k", b("r"), 0, null));
  }

  @Test
  void userXattrOnSymlinkOrFifo_isEpermToSetAndEnodataToGet() {
    Inode p = m.mknod(ALICE, tmp, "pipe", 0010666, 0, null);
    expect(Errno.EPERM, () -> m.setxattr(ALICE, p.id(), "user.k", b("v"), 0, null));
    expect(Errno.ENODATA, () -> m.getxattr(ALICE, p.id(), "user.k"));
  }

  @Test
  void xattrCreateAndReplaceFlags_failWithEexistAndEnodata() {
    Inode a = f.file(ALICE, tmp, "a", 0644);
    expect(Errno.ENODATA, () -> m.setxattr(ALICE, a.id(), "user.k", b("v"), XattrFlags.REPLACE, null));
    m.setxattr(ALICE, a.id(), "user.k", b("v"), XattrFlags.CREATE, null);
    expect(Errno.EEXIST, () -> m.setxattr(ALICE, a.id(), "user.k", b("w"), XattrFlags.CREATE, null));
    m.setxattr(ALICE, a.id(), "user.k", b("w"), XattrFlags.REPLACE, null);
    assertArrayEquals(b("w"), m.getxattr(ALICE, a.id(), "user.k"));
    expect(Errno.EINVAL, () -> m.setxattr(ALICE, a.id(), "user.k", b("w"), 4, null));
  }

  @Test
  void trustedXattr_isRootsAndHiddenFromOthers() {
    Inode a = f.file(ALICE, tmp, "a", 0666);
    expect(Errno.EPERM, () -> m.setxattr(ALICE, a.id(), "trusted.k", b("v"), 0, null));
    m.setxattr(ROOT, a.id(), "trusted.k", b("v"), 0, null);
    m.setxattr(ALICE, a.id(), "user.k", b("v"), 0, null);
    expect(Errno.ENODATA, () -> m.getxattr(ALICE, a.id(), "trusted.k"));
    assertArrayEquals(b("v"), m.getxattr(ROOT, a.id(), "trusted.k"));
    assertEquals(List.of("user.k"), m.listxattr(ALICE, a.id()));
    assertEquals(List.of("trusted.k", "user.k"), m.listxattr(ROOT, a.id()));
  }

  @Test
  void xattrNamesAndSizes_areLimited() {
    Inode a = f.file(ALICE, tmp, "a", 0644);
    expect(Errno.ERANGE, () -> m.setxattr(ALICE, a.id(), "", b("v"), 0, null));
    expect(Errno.ERANGE, () -> m.setxattr(ALICE, a.id(), "user." + "n".repeat(251), b("v"), 0, null));
    assertDoesNotThrow(() -> m.setxattr(ALICE, a.id(), "user." + "n".repeat(250), b("v"), 0, null));
    expect(Errno.E2BIG, () -> m.setxattr(ALICE, a.id(), "user.big", new byte[65537], 0, null));
    assertDoesNotThrow(() -> m.setxattr(ALICE, a.id(), "user.big", new byte[65536], 0, null));
    expect(Errno.EOPNOTSUPP, () -> m.setxattr(ALICE, a.id(), "system.posix_acl_access", b("v"), 0, null));
    expect(Errno.EOPNOTSUPP, () -> m.setxattr(ALICE, a.id(), "nonamespace", b("v"), 0, null));
    expect(Errno.EINVAL, () -> m.setxattr(ALICE, a.id(), "user.", b("v"), 0, null));
  }

  @Test
  void xattrsOfRemovedInode_goWithIt() {
    Inode d = m.mkdir(ALICE, tmp, "d", 0755, null);
    m.setxattr(ALICE, d.id(), "user.k", b("v"), 0, null);
    m.rmdir(ALICE, tmp, "d", null);
    expect(Errno.ENOENT, () -> m.getxattr(ALICE, d.id(), "user.k"));
    f.assertConsistent();
  }
}
