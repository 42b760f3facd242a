package io.catena.metalogger;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.kv.KvDump;
import io.catena.kv.rocksdb.RocksStoreWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code catena admin meta-restore}: rebuilds an embedded store from a logger's directory: its newest checkpoint
 * (verified against its SHA-256) and then every whole change in the change log after it, replayed in order. The
 * result is a RocksDB directory a control process starts from ({@code catena control --kv}, or in place of
 * DATA/control/kv). Works while the logger runs (it reads only complete files and whole log records). Stateless.
 */
public final class MetaRestore {
  private MetaRestore() {}

  /** What was restored: the checkpoint's version and key count, the changes replayed, the final version. */
  public record Result(long checkpointVersion, long keys, long changes, long version) {}

  public static Result restore(Path loggerDir, Path to) {
    if (!Files.isDirectory(loggerDir)) {
      throw CatenaException.of(Errno.ENOENT, "%s is not a directory (the metalogger's --dir)", loggerDir);
    }
    LoggerDir dir = new LoggerDir(loggerDir);
    long v = dir.latest().orElseThrow(() -> CatenaException.of(Errno.ENOENT,
        "%s holds no checkpoint yet: is it a metalogger directory, and has the logger connected once?", loggerDir));
    long[] changes = {0};
    long keys;
    try (RocksStoreWriter w = RocksStoreWriter.create(to); KvDump.Reader r = new KvDump.Reader(dir.checkpoint(v))) {
      if (r.header().version() != v) {
        throw CatenaException.of(Errno.EIO, "%s says version %d in its header", dir.checkpoint(v),
            r.header().version());
      }
      r.forEach(w::put);
      keys = r.header().keys();
      w.setVersion(v);
      ChangeLog.read(dir.changes(v), v, rec -> {
        w.apply(rec.from(), rec.to(), rec.batch());
        changes[0]++;
      }, new long[1]);
      return new Result(v, keys, changes[0], w.version());
    } catch (IOException e) {
      throw CatenaException.of(Errno.EIO, "cannot read %s: %s", dir.changes(v), e);
    }
  }
}
