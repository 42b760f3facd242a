package io.catena.kv.etcd;

import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;

/**
 * Where a commit's etcd transaction goes: straight to the client, or into a group commit. Either way it answers with
 * that transaction's own response, or throws what {@link EtcdClient#commit} throws. Thread-safe.
 */
@FunctionalInterface
interface CommitSender {
  TxnResponse send(TxnRequest request);
}
