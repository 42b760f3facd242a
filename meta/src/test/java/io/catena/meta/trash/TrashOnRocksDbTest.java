package io.catena.meta.trash;

import io.catena.kv.KvEngine;
import io.catena.kv.KvEngines;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** {@link TrashBehaviour} on a real RocksDB in a temporary directory. */
class TrashOnRocksDbTest extends TrashBehaviour {
  @TempDir
  Path tmp;

  @Override
  KvEngine openEngine() {
    return KvEngines.open("rocksdb://" + tmp.resolve("kv"), null);
  }
}
