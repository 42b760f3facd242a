package io.catena.meta;

import static io.catena.meta.MetaFixture.ROOT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random sequences of namespace operations run against the service and against a small reference model of a POSIX
 * tree; every answer (success or errno) and the final tree must agree. Inode ids of removed directories and of
 * unlinked files (which stay in the GC area) are used as parents too.
 */
class ModelComparisonTest {
  static final String[] NAMES = {"a", "b", "c", "d"};

  /** The reference: directories' entries, types and link counts, with the errno precedence of Linux for root. */
  static final class Model {
    final Map<Long, TreeMap<String, Long>> dirs = new HashMap<>();
    final Map<Long, Boolean> isDir = new HashMap<>();
    final Map<Long, Integer> links = new HashMap<>();
    final Map<Long, Long> parent = new HashMap<>();

    Model() {
      dirs.put(MetaService.ROOT, new TreeMap<>());
      isDir.put(MetaService.ROOT, true);
      parent.put(MetaService.ROOT, MetaService.ROOT);
    }

    TreeMap<String, Long> dir(long d) {
      if (!isDir.containsKey(d)) {
        throw CatenaException.of(Errno.ENOENT, "model");
      }
      if (!isDir.get(d)) {
        throw CatenaException.of(Errno.ENOTDIR, "model");
      }
      return dirs.get(d);
    }

    void checkCreate(long d, String n) {
      if (dir(d).containsKey(n)) {
        throw CatenaException.of(Errno.EEXIST, "model");
      }
    }

    void add(long d, String n, long ino, boolean directory) {
      dirs.get(d).put(n, ino);
      isDir.put(ino, directory);
      if (directory) {
        dirs.put(ino, new TreeMap<>());
        parent.put(ino, d);
      } else {
        links.put(ino, 1);
      }
    }

    long existing(long d, String n) {
      Long ino = dir(d).get(n);
      if (ino == null) {
        throw CatenaException.of(Errno.ENOENT, "model");
      }
      return ino;
    }

    void drop(long d, String n) {
      long ino = dirs.get(d).remove(n);
      if (isDir.get(ino)) {
        dirs.remove(ino);
        isDir.remove(ino);
      } else {
        links.merge(ino, -1, Integer::sum); // at 0 the inode lives on in the GC area: ENOTDIR, not ENOENT
      }
    }

    void unlink(long d, String n) {
      if (isDir.get(existing(d, n))) {
        throw CatenaException.of(Errno.EISDIR, "model");
      }
      drop(d, n);
    }

    void rmdir(long d, String n) {
      long ino = existing(d, n);
      if (!isDir.get(ino)) {
        throw CatenaException.of(Errno.ENOTDIR, "model");
      }
      if (!dirs.get(ino).isEmpty()) {
        throw CatenaException.of(Errno.ENOTEMPTY, "model");
      }
      drop(d, n);
    }

    void link(long ino, long d, String n) {
      if (!isDir.containsKey(ino)) {
        throw CatenaException.of(Errno.ENOENT, "model");
      }
      checkCreate(d, n);
      if (isDir.get(ino)) {
        throw CatenaException.of(Errno.EPERM, "model");
      }
      if (links.get(ino) == 0) {
        throw CatenaException.of(Errno.ENOENT, "model");
      }
      dirs.get(d).put(n, ino);
      links.merge(ino, 1, Integer::sum);
    }

    void rename(long sd, String sn, long dd, String dn, boolean noReplace) {
      dir(sd);
      dir(dd);
      long src = existing(sd, sn);
      Long dst = dirs.get(dd).get(dn);
      if (noReplace && dst != null) {
        throw CatenaException.of(Errno.EEXIST, "model");
      }
      if (dst != null && dst == src) {
        return;
      }
      if (isDir.get(src)) {
        for (long c = dd; ; c = parent.get(c)) {
          if (c == src) {
            throw CatenaException.of(Errno.EINVAL, "model");
          }
          if (c == MetaService.ROOT) {
            break;
          }
        }
      }
      if (dst != null) {
        if (isDir.get(src) && !isDir.get(dst)) {
          throw CatenaException.of(Errno.ENOTDIR, "model");
        }
        if (!isDir.get(src) && isDir.get(dst)) {
          throw CatenaException.of(Errno.EISDIR, "model");
        }
        if (isDir.get(dst) && !dirs.get(dst).isEmpty()) {
          throw CatenaException.of(Errno.ENOTEMPTY, "model");
        }
        drop(dd, dn);
      }
      dirs.get(sd).remove(sn);
      dirs.get(dd).put(dn, src);
      if (isDir.get(src)) {
        parent.put(src, dd);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void randomOperations_matchTheReferenceModel(long seed) {
    MetaFixture f = new MetaFixture();
    MetaService m = f.meta;
    Model model = new Model();
    List<Long> known = new ArrayList<>(List.of(MetaService.ROOT));
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int step = 0; step < 400; step++) {
      long d = known.get(rnd.nextInt(known.size()));
      long d2 = known.get(rnd.nextInt(known.size()));
      String n = NAMES[rnd.nextInt(NAMES.length)];
      String n2 = NAMES[rnd.nextInt(NAMES.length)];
      int op = rnd.nextInt(7);
      String what = step + ": op " + op + " " + d + "/" + n + " " + d2 + "/" + n2;
      Errno expected = Errno.OK;
      Errno actual = Errno.OK;
      long created = -1;
      try {
        switch (op) {
          case 0, 1 -> model.checkCreate(d, n);
          case 2 -> model.unlink(d, n);
          case 3 -> model.rmdir(d, n);
          case 4 -> model.link(d2, d, n);
          default -> model.rename(d, n, d2, n2, op == 6);
        }
      } catch (CatenaException e) {
        expected = e.errno();
      }
      try {
        switch (op) {
          case 0 -> created = m.create(ROOT, d, n, 0644, OpenFlags.O_CREAT | OpenFlags.O_EXCL, "c", null).inode().id();
          case 1 -> created = m.mkdir(ROOT, d, n, 0755, null).id();
          case 2 -> m.unlink(ROOT, d, n, null);
          case 3 -> m.rmdir(ROOT, d, n, null);
          case 4 -> m.link(ROOT, d2, d, n, null);
          default -> m.rename(ROOT, d, n, d2, n2, op == 6 ? RenameFlags.NOREPLACE : 0, null);
        }
      } catch (CatenaException e) {
        actual = e.errno();
      }
      assertEquals(expected, actual, what);
      if (created >= 0) {
        model.add(d, n, created, op == 1);
        known.add(created);
      }
    }
    for (var e : model.dirs.entrySet()) {
      List<String> names = new ArrayList<>();
      m.readdir(ROOT, e.getKey(), null, 1000, false).entries().forEach(x -> names.add(x.name()));
      assertEquals(new ArrayList<>(e.getValue().keySet()), names, "entries of " + e.getKey());
      long subdirs = e.getValue().values().stream().filter(model.isDir::get).count();
      assertEquals(2 + subdirs, m.getattr(ROOT, e.getKey()).nlink(), "nlink of directory " + e.getKey());
    }
    for (var e : model.links.entrySet()) {
      assertEquals((int) e.getValue(), m.getattr(ROOT, e.getKey()).nlink(), "nlink of " + e.getKey());
    }
    f.assertConsistent();
  }
}
