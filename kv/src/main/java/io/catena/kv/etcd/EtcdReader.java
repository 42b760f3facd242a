package io.catena.kv.etcd;

import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import java.util.List;

/**
 * The read path of the engine's transactions. A read without a revision is linearizable (etcd confirms its leadership
 * through a quorum first), so it sees every commit acknowledged before it was sent. A read at a fixed revision needs
 * no such confirmation: history up to a revision never changes once a member has applied it, so it is served
 * serializably by whichever member the channel picks, and sent again linearizably (which waits until that member has
 * caught up) only when the member has not applied the revision yet. Thread-safe.
 */
final class EtcdReader {
  private final EtcdClient client;
  private final EtcdKeys keys;

  EtcdReader(EtcdClient client, EtcdKeys keys) {
    this.client = client;
    this.keys = keys;
  }

  EtcdKeys keys() {
    return keys;
  }

  /** The latest revision, linearizably: a begin that needs its version before any read. */
  long currentRevision() {
    return client.range(RangeRequest.newBuilder().setKey(keys.probe()).setCountOnly(true).build(), "begin")
        .getHeader().getRevision();
  }

  RangeResponse range(RangeRequest q, String what) {
    if (q.getRevision() > 0) {
      try {
        return client.range(q.toBuilder().setSerializable(true).build(), what);
      } catch (EtcdClient.FutureRevision behind) {
        // This member lags behind the one that fixed the revision: a linearizable read waits for it to catch up.
      }
    }
    return client.range(q, what);
  }

  /**
   * Several reads in one read-only etcd transaction: one round trip, one revision. With {@code fresh} they are
   * linearizable; otherwise every read must name its revision.
   */
  TxnResponse readAll(List<RequestOp> reads, boolean fresh, String what) {
    TxnRequest.Builder t = TxnRequest.newBuilder();
    if (fresh) {
      return client.readTxn(t.addAllSuccess(reads).build(), what);
    }
    for (RequestOp r : reads) {
      t.addSuccess(RequestOp.newBuilder().setRequestRange(r.getRequestRange().toBuilder().setSerializable(true)));
    }
    try {
      return client.readTxn(t.build(), what);
    } catch (EtcdClient.FutureRevision behind) {
      return client.readTxn(TxnRequest.newBuilder().addAllSuccess(reads).build(), what);
    }
  }
}
