package io.catena.meta.trash;

import io.catena.kv.KvEngine;
import io.catena.kv.KvEngines;
import io.catena.kv.etcd.EtcdProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link TrashBehaviour} on a real etcd (one server for the class, a fresh key prefix per test): the engine whose
 * 128-operations-per-transaction limit the batched sweeps and set-trashtime -r stay inside.
 */
class TrashOnEtcdTest extends TrashBehaviour {
  static EtcdProcess etcd;

  @BeforeAll
  static void startEtcd() {
    etcd = EtcdProcess.start();
  }

  @AfterAll
  static void stopEtcd() throws Exception {
    if (etcd != null) {
      etcd.close();
    }
  }

  @Override
  KvEngine openEngine() {
    return KvEngines.open(etcd.url(EtcdProcess.uniquePrefix("trash")), null);
  }
}
