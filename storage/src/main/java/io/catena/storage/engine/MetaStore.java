package io.catena.storage.engine;

import io.catena.common.cluster.ChunkId;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * Chunk metadata in a local RocksDB. Each engine step is one atomic WriteBatch, so a crash leaves either the old or
 * the new records. Thread-safe (RocksDB is).
 */
final class MetaStore implements AutoCloseable {
  static {
    RocksDB.loadLibrary();
  }

  private final Options options;
  private final RocksDB db;
  private final WriteOptions synced = new WriteOptions().setSync(true);
  private final WriteOptions unsynced = new WriteOptions().setSync(false);

  MetaStore(Path dir) {
    try {
      Files.createDirectories(dir);
      options = new Options().setCreateIfMissing(true);
      db = RocksDB.open(options, dir.toString());
    } catch (RocksDBException | java.io.IOException e) {
      throw new CatenaException(Status.of(Errno.EIO, "cannot open chunk metadata in %s: %s", dir, e), e);
    }
  }

  /** Records the layout on first open; refuses a different one later (block addresses depend on it). */
  void checkLayout(int filesPerClass) {
    byte[] want = MetaCodec.encodeLayout(filesPerClass);
    try {
      byte[] have = db.get(MetaCodec.LAYOUT_KEY);
      if (have == null) {
        db.put(synced, MetaCodec.LAYOUT_KEY, want);
      } else if (!Arrays.equals(have, want)) {
        throw CatenaException.of(Errno.EINVAL, "disk was formatted with another layout (files per class or size"
            + " classes differ); storage.files_per_class cannot change");
      }
    } catch (RocksDBException e) {
      throw ioError(e);
    }
  }

  void putPending(ChunkId id, StoredVersion v, boolean sync) {
    write(sync, b -> b.put(MetaCodec.key(MetaCodec.PENDING, id), MetaCodec.encode(v)));
  }

  void deletePending(ChunkId id, boolean sync) {
    write(sync, b -> b.delete(MetaCodec.key(MetaCodec.PENDING, id)));
  }

  /** Publishes {@code v} as committed and drops any pending record, atomically. */
  void putCommitted(ChunkId id, StoredVersion v, boolean sync) {
    write(sync, b -> {
      b.put(MetaCodec.key(MetaCodec.COMMITTED, id), MetaCodec.encode(v));
      b.delete(MetaCodec.key(MetaCodec.PENDING, id));
    });
  }

  void delete(ChunkId id, boolean sync) {
    write(sync, b -> {
      b.delete(MetaCodec.key(MetaCodec.COMMITTED, id));
      b.delete(MetaCodec.key(MetaCodec.PENDING, id));
    });
  }

  void syncWal() {
    try {
      db.syncWal();
    } catch (RocksDBException e) {
      throw ioError(e);
    }
  }

  /** Every chunk record: (kind byte, key, value) in key order. */
  void scan(Visitor visitor) {
    try (RocksIterator it = db.newIterator()) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        byte[] k = it.key();
        if (k.length > 0 && (k[0] == MetaCodec.COMMITTED || k[0] == MetaCodec.PENDING)) {
          visitor.visit(k[0], k, it.value());
        }
      }
    }
  }

  interface Visitor {
    void visit(byte kind, byte[] key, byte[] value);
  }

  private interface BatchBody {
    void fill(WriteBatch b) throws RocksDBException;
  }

  private void write(boolean sync, BatchBody body) {
    try (WriteBatch b = new WriteBatch()) {
      body.fill(b);
      db.write(sync ? synced : unsynced, b);
    } catch (RocksDBException e) {
      throw ioError(e);
    }
  }

  private static CatenaException ioError(RocksDBException e) {
    return new CatenaException(Status.of(Errno.EIO, "chunk metadata store: %s", e.getMessage()), e);
  }

  @Override
  public void close() {
    try {
      db.syncWal();
    } catch (RocksDBException e) {
      // closing anyway; the WAL is in the page cache
    }
    db.close();
    synced.close();
    unsynced.close();
    options.close();
  }
}
