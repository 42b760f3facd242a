package io.catena.kv.rocksdb;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.UInt64AddOperator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * Builds, in an empty directory, a store that {@link RocksKvEngine} opens: the same column families and merge
 * operator, the data of a checkpoint at some version, then committed write batches from a {@link ChangeFeed}
 * replayed in order (each carries the committed version it ends at, so the store's version follows). What
 * {@code catena admin meta-restore} writes. Everything is flushed and synced at {@link #close}. Not thread-safe.
 */
public final class RocksStoreWriter implements AutoCloseable {
  private static final int PAGE_KEYS = 1000;

  static {
    RocksDB.loadLibrary();
  }

  private final Path dir;
  private final DBOptions dbOptions;
  private final ColumnFamilyOptions cfOptions;
  private final UInt64AddOperator addOperator;
  private final List<ColumnFamilyHandle> handles = new ArrayList<>();
  private final RocksDB db;
  private final WriteOptions writeOptions = new WriteOptions();
  private final WriteBatch pending = new WriteBatch();
  private long version;

  private RocksStoreWriter(Path dir) throws RocksDBException {
    this.dir = dir;
    this.dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
    this.addOperator = new UInt64AddOperator();
    this.cfOptions = new ColumnFamilyOptions().setMergeOperator(addOperator);
    // The order fixes the column family ids the replayed write batches refer to: data 0, meta 1, as in the engine.
    this.db = RocksDB.open(dbOptions, dir.toString(), List.of(
        new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
        new ColumnFamilyDescriptor(RocksKvEngine.META_CF, cfOptions)), handles);
  }

  /** Creates the store in {@code dir}, which must not exist or be empty. */
  public static RocksStoreWriter create(Path dir) {
    try {
      if (Files.isDirectory(dir)) {
        try (Stream<Path> s = Files.list(dir)) {
          if (s.findAny().isPresent()) {
            throw CatenaException.of(Errno.EEXIST, "%s is not empty: restore into a new (or emptied) directory",
                dir);
          }
        }
      } else if (Files.exists(dir)) {
        throw CatenaException.of(Errno.ENOTDIR, "%s exists and is not a directory", dir);
      }
      Files.createDirectories(dir);
      return new RocksStoreWriter(dir);
    } catch (IOException e) {
      throw CatenaException.of(Errno.EIO, "cannot create %s: %s", dir, e);
    } catch (RocksDBException e) {
      throw CatenaException.of(Errno.EIO, "cannot create a RocksDB store in %s: %s", dir, e.getMessage());
    }
  }

  /** Adds one key of a checkpoint. */
  public void put(byte[] key, byte[] value) {
    try {
      pending.put(handles.get(0), key, value);
      if (pending.count() >= PAGE_KEYS) {
        flushPending();
      }
    } catch (RocksDBException e) {
      throw io(e);
    }
  }

  /** Sets the committed version the checkpoint was taken at. */
  public void setVersion(long v) {
    try {
      flushPending();
      db.put(handles.get(1), writeOptions, RocksKvEngine.VERSION_KEY, ByteBuffer.allocate(8).putLong(v).array());
      version = v;
    } catch (RocksDBException e) {
      throw io(e);
    }
  }

  /** Replays one change-feed entry: it must start where the store is, {@code fromVersion == version()}. */
  public void apply(long fromVersion, long toVersion, byte[] batch) {
    if (fromVersion != version) {
      throw CatenaException.of(Errno.EIO, "change log gap: the store is at version %d, the next change starts at "
          + "%d", version, fromVersion);
    }
    try (WriteBatch wb = new WriteBatch(batch)) {
      flushPending();
      db.write(writeOptions, wb);
      byte[] v = db.get(handles.get(1), RocksKvEngine.VERSION_KEY);
      long now = v == null ? -1 : ByteBuffer.wrap(v).getLong();
      if (now != toVersion) {
        throw CatenaException.of(Errno.EIO, "the change (%d, %d] left the store at version %d", fromVersion,
            toVersion, now);
      }
      version = toVersion;
    } catch (RocksDBException e) {
      throw io(e);
    }
  }

  public long version() {
    return version;
  }

  private void flushPending() throws RocksDBException {
    if (pending.count() > 0) {
      db.write(writeOptions, pending);
      pending.clear();
    }
  }

  private CatenaException io(RocksDBException e) {
    return CatenaException.of(Errno.EIO, "writing the store in %s failed: %s", dir, e.getMessage());
  }

  /** Flushes everything to SST files and syncs, so the directory is complete once this returns. */
  @Override
  public void close() {
    try (FlushOptions fo = new FlushOptions().setWaitForFlush(true)) {
      flushPending();
      db.flush(fo, handles);
      db.syncWal();
    } catch (RocksDBException e) {
      throw io(e);
    } finally {
      pending.close();
      writeOptions.close();
      for (ColumnFamilyHandle h : handles) {
        h.close();
      }
      db.close();
      cfOptions.close();
      addOperator.close();
      dbOptions.close();
    }
  }
}
