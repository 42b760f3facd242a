package io.catena.meta;

import static io.catena.meta.MetaFixture.ALICE;
import static io.catena.meta.MetaFixture.ROOT;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;

import io.catena.common.Errno;
import org.junit.jupiter.api.Test;

class HostileInputTest {
  final MetaFixture f = new MetaFixture();
  final MetaService m = f.meta;
  final long tmp = f.openDir("tmp").id();
  final long file = f.file(ALICE, tmp, "file", 0644).id();
  final long dir = m.mkdir(ALICE, tmp, "dir", 0755, null).id();

  @Test
  void namesWithSlashOrNul_failWithEinvalAndWriteNothing() {
    for (String bad : new String[] {"a/b", "/", "a\0b", "\0"}) {
      f.expectNothingWritten(Errno.EINVAL, () -> m.mkdir(ALICE, tmp, bad, 0755, null));
      f.expectNothingWritten(Errno.EINVAL, () -> m.create(ALICE, tmp, bad, 0644, OpenFlags.O_CREAT, "c", null));
      f.expectNothingWritten(Errno.EINVAL, () -> m.symlink(ALICE, tmp, bad, "x", null));
      f.expectNothingWritten(Errno.EINVAL, () -> m.link(ALICE, file, tmp, bad, null));
      f.expectNothingWritten(Errno.EINVAL, () -> m.rename(ALICE, tmp, "file", tmp, bad, 0, null));
      f.expectNothingWritten(Errno.EINVAL, () -> m.unlink(ALICE, tmp, bad, null));
      f.expectNothingWritten(Errno.EINVAL, () -> m.lookup(ALICE, tmp, bad));
    }
  }

  @Test
  void emptyName_failsWithEnoent() {
    f.expectNothingWritten(Errno.ENOENT, () -> m.mkdir(ALICE, tmp, "", 0755, null));
    f.expectNothingWritten(Errno.ENOENT, () -> m.lookup(ALICE, tmp, ""));
    f.expectNothingWritten(Errno.ENOENT, () -> m.mkdir(ALICE, tmp, null, 0755, null));
  }

  @Test
  void dotAndDotDot_cannotBeCreatedOrUnlinked() {
    for (String dot : new String[] {".", ".."}) {
      f.expectNothingWritten(Errno.EEXIST, () -> m.mkdir(ALICE, tmp, dot, 0755, null));
      f.expectNothingWritten(Errno.EEXIST, () -> m.symlink(ALICE, tmp, dot, "x", null));
      f.expectNothingWritten(Errno.EEXIST, () -> m.mknod(ALICE, tmp, dot, 0010644, 0, null));
      f.expectNothingWritten(Errno.EEXIST, () -> m.link(ALICE, file, tmp, dot, null));
      f.expectNothingWritten(Errno.EISDIR, () -> m.unlink(ALICE, tmp, dot, null));
      f.expectNothingWritten(Errno.EISDIR, () -> m.create(ALICE, tmp, dot, 0644, OpenFlags.O_CREAT, "c", null));
    }
  }

  @Test
  void namesOver255Bytes_failWithEnametoolong() {
    String ok = "n".repeat(255);
    String tooLong = "n".repeat(256);
    String multibyte = "é".repeat(128); // 256 UTF-8 bytes in 128 chars
    assertDoesNotThrow(() -> m.mkdir(ALICE, tmp, ok, 0755, null));
    for (String bad : new String[] {tooLong, multibyte}) {
      f.expectNothingWritten(Errno.ENAMETOOLONG, () -> m.mkdir(ALICE, tmp, bad, 0755, null));
      f.expectNothingWritten(Errno.ENAMETOOLONG, () -> m.lookup(ALICE, tmp, bad));
      f.expectNothingWritten(Errno.ENAMETOOLONG, () -> m.rename(ALICE, tmp, "file", tmp, bad, 0, null));
      f.expectNothingWritten(Errno.ENAMETOOLONG, () -> m.resolve(ALICE, tmp, "dir/" + bad, true));
    }
  }

  @Test
  void unpairedSurrogateInName_failsWithEilseq() {
    f.expectNothingWritten(Errno.EILSEQ, () -> m.mkdir(ALICE, tmp, "bad\uD800name", 0755, null));
  }

  @Test
  void pathsLongerOrDeeperThanTheLimits_failWithEnametoolong() {
    f.expectNothingWritten(Errno.ENAMETOOLONG, () -> m.resolve(ALICE, tmp, "a/".repeat(2049), true));
    f.expectNothingWritten(Errno.ENAMETOOLONG, () -> m.resolve(ALICE, tmp, "./".repeat(1100), true));
    f.expectNothingWritten(Errno.EINVAL, () -> m.resolve(ALICE, tmp, "dir\0", true));
  }

  @Test
  void unknownInodeIds_failWithEnoentAndWriteNothing() {
    long[] unknown = {987_654_321L, -1L, Long.MAX_VALUE, Long.MIN_VALUE};
    for (long u : unknown) {
      f.expectNothingWritten(Errno.ENOENT, () -> m.getattr(ALICE, u));
      f.expectNothingWritten(Errno.ENOENT, () -> m.lookup(ALICE, u, "x"));
      f.expectNothingWritten(Errno.ENOENT, () -> m.mkdir(ALICE, u, "x", 0755, null));
      f.expectNothingWritten(Errno.ENOENT, () -> m.create(ALICE, u, "x", 0644, OpenFlags.O_CREAT, "c", null));
      f.expectNothingWritten(Errno.ENOENT, () -> m.open(ALICE, u, OpenFlags.O_RDWR, "c"));
      f.expectNothingWritten(Errno.ENOENT, () -> m.setattr(ROOT, u, SetAttr.chmod(0777)));
      f.expectNothingWritten(Errno.ENOENT, () -> m.link(ALICE, u, tmp, "x", null));
      f.expectNothingWritten(Errno.ENOENT, () -> m.rename(ALICE, u, "x", tmp, "y", 0, null));
      f.expectNothingWritten(Errno.ENOENT, () -> m.rename(ALICE, tmp, "file", u, "y", 0, null));
      f.expectNothingWritten(Errno.ENOENT, () -> m.readdir(ALICE, u, null, 10, false));
      f.expectNothingWritten(Errno.ENOENT, () -> m.setxattr(ALICE, u, "user.k", new byte[1], 0, null));
      f.expectNothingWritten(Errno.ENOENT, () -> m.readlink(ALICE, u));
      f.expectNothingWritten(Errno.ENOENT, () -> m.access(ALICE, u, Access.F_OK));
      f.expectNothingWritten(Errno.ENOENT, () -> m.close(ALICE, u, 0, true));
    }
  }

  @Test
  void wrongInodeTypes_failWithTheirErrnoAndWriteNothing() {
    f.expectNothingWritten(Errno.ENOTDIR, () -> m.mkdir(ALICE, file, "x", 0755, null));
    f.expectNothingWritten(Errno.ENOTDIR, () -> m.create(ALICE, file, "x", 0644, OpenFlags.O_CREAT, "c", null));
    f.expectNothingWritten(Errno.ENOTDIR, () -> m.unlink(ALICE, file, "x", null));
    f.expectNothingWritten(Errno.ENOTDIR, () -> m.rename(ALICE, tmp, "dir", file, "x", 0, null));
    f.expectNothingWritten(Errno.ENOTDIR, () -> m.resolve(ALICE, file, "x", true));
    f.expectNothingWritten(Errno.EINVAL, () -> m.readlink(ALICE, dir));
    f.expectNothingWritten(Errno.EISDIR, () -> m.setattr(ALICE, dir, SetAttr.truncate(0)));
    f.expectNothingWritten(Errno.EINVAL, () -> m.lengthHint(ALICE, dir, 0, 10, 0));
    f.expectNothingWritten(Errno.EPERM, () -> m.link(ALICE, dir, tmp, "dl", null));
  }

  @Test
  void idsOfDeletedInodes_failWithEnoent() {
    Inode d = m.mkdir(ALICE, tmp, "gone", 0755, null);
    m.rmdir(ALICE, tmp, "gone", null);
    f.expectNothingWritten(Errno.ENOENT, () -> m.getattr(ALICE, d.id()));
    f.expectNothingWritten(Errno.ENOENT, () -> m.mkdir(ALICE, d.id(), "x", 0755, null));
    f.expectNothingWritten(Errno.ENOENT, () -> m.readdir(ALICE, d.id(), null, 10, false));
    f.expectNothingWritten(Errno.ENOENT, () -> m.setattr(ALICE, d.id(), SetAttr.chmod(0700)));
    Inode s = m.symlink(ALICE, tmp, "s", "t", null);
    m.unlink(ALICE, tmp, "s", null);
    f.expectNothingWritten(Errno.ENOENT, () -> m.readlink(ALICE, s.id()));
  }

  @Test
  void badArguments_failWithEinval() {
    f.expectNothingWritten(Errno.EINVAL, () -> m.readdir(ALICE, tmp, null, 0, false));
    f.expectNothingWritten(Errno.EINVAL, () -> m.readdir(ALICE, tmp, "x".repeat(300), 10, false));
    f.expectNothingWritten(Errno.EINVAL, () -> m.open(ALICE, file, OpenFlags.O_WRONLY, ""));
    f.expectNothingWritten(Errno.EINVAL, () -> new RequestId("", 1));
  }
}
