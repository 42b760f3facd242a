package io.catena.kv.etcd;

import static io.catena.kv.etcd.EtcdKeys.get;
import static io.catena.kv.etcd.EtcdKeys.modEquals;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.kv.CommitUnknownException;
import io.catena.kv.Keys;
import io.catena.kv.KvFaults;
import io.catena.kv.core.CommitRequest;
import io.catena.kv.core.Resolver;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Sends a transaction's commit: the {@link CommitBuilder} parts plus the marker lease and, for atomic adds, the
 * counters' guarded new values, resent while only concurrent adds got in the way (see {@link EtcdKvEngine},
 * "atomicAdd"). Thread-safe: stateless apart from the shared lease and client.
 */
final class Committer {
  /** Bounded resends of one commit whose only failure was concurrent atomic adds to its counters. */
  private static final int MAX_COUNTER_ATTEMPTS = 64;
  private static final ByteString EMPTY = ByteString.EMPTY;

  private final EtcdKeys keys;
  private final CommitBuilder builder;
  private final EtcdReader reader;
  private final CommitSender sender;
  private final Leases leases;
  private final KvFaults faults;
  private final String url;
  private final long maxRequestBytes;

  Committer(EtcdKeys keys, CommitBuilder builder, EtcdReader reader, CommitSender sender, Leases leases,
      KvFaults faults, String url, long maxRequestBytes) {
    this.keys = keys;
    this.builder = builder;
    this.reader = reader;
    this.sender = sender;
    this.leases = leases;
    this.faults = faults;
    this.url = url;
    this.maxRequestBytes = maxRequestBytes;
  }

  long commit(EtcdTxn t, CommitRequest req) {
    KvFaults.Decision fate = faults.decide();
    switch (fate) {
      case CONFLICT -> throw Resolver.injectedConflict();
      case UNKNOWN_NOT_APPLIED -> throw new CommitUnknownException("injected fault (not applied)");
      default -> { }
    }
    t.checkAge();
    CommitBuilder.Parts parts = builder.build(t, req);
    List<io.etcd.jetcd.api.Compare> userCompares = parts.compares();
    // Counter state: key -> {latest value's counter, mod revision}; refreshed from failure answers.
    TreeMap<byte[], long[]> counters = parts.adds().isEmpty() ? null : latestCounters(parts.adds().keySet());
    boolean leaseRetried = false;
    for (int attempt = 1; ; attempt++) {
      long lease = parts.markers().isEmpty() ? 0 : leases.current();
      TxnRequest.Builder txn = TxnRequest.newBuilder().addAllCompare(userCompares).addAllSuccess(parts.writes());
      for (byte[] m : parts.markers()) {
        txn.addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(keys.marker(m))
            .setValue(EMPTY).setLease(lease)));
      }
      if (counters != null) {
        if (!userCompares.isEmpty()) {
          txn.addFailure(RequestOp.newBuilder().setRequestTxn(TxnRequest.newBuilder().addAllCompare(userCompares)));
        }
        for (Map.Entry<byte[], long[]> c : counters.entrySet()) {
          ByteString k = keys.data(c.getKey());
          txn.addCompare(modEquals(k, c.getValue()[1]));
          long sum = c.getValue()[0] + parts.adds().get(c.getKey());
          txn.addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(k)
              .setValue(UnsafeByteOperations.unsafeWrap(Keys.counterValue(sum)))));
          txn.addFailure(get(k, 0, false, null, 0));
        }
      }
      TxnRequest request = txn.build();
      checkSize(request);
      TxnResponse resp;
      try {
        resp = sender.send(request);
      } catch (EtcdClient.LeaseGone g) {
        // etcd refused the whole request (nothing applied): the lease expired under us, e.g. after a long pause.
        leases.gone(lease);
        if (leaseRetried) {
          throw CatenaException.retryable(Errno.EIO, "kv %s: etcd lost the marker lease twice in a row", url);
        }
        leaseRetried = true;
        continue;
      }
      if (resp.getSucceeded()) {
        if (fate == KvFaults.Decision.UNKNOWN_APPLIED) {
          throw new CommitUnknownException("injected fault (applied)");
        }
        return resp.getHeader().getRevision();
      }
      if (counters == null) {
        throw Resolver.conflict(t.knownRevision());
      }
      int at = 0;
      if (!userCompares.isEmpty()) {
        if (!resp.getResponses(0).getResponseTxn().getSucceeded()) {
          throw Resolver.conflict(t.knownRevision());
        }
        at = 1;
      }
      // Only the counters moved: take their fresh values from this answer and try again.
      for (Map.Entry<byte[], long[]> c : counters.entrySet()) {
        c.setValue(counterState(resp.getResponses(at++).getResponseRange()));
      }
      if (attempt >= MAX_COUNTER_ATTEMPTS) {
        throw CatenaException.retryable(Errno.EAGAIN, "transaction conflict: its atomic counters changed"
            + " concurrently %d times in a row", attempt);
      }
      t.checkOpen();
    }
  }

  /** The counters' latest values and mod revisions, which the commit's guards then hold to. */
  private TreeMap<byte[], long[]> latestCounters(Iterable<byte[]> counterKeys) {
    List<RequestOp> reads = new ArrayList<>();
    List<byte[]> order = new ArrayList<>();
    for (byte[] k : counterKeys) {
      reads.add(get(keys.data(k), 0, false, null, 0));
      order.add(k);
    }
    TxnResponse r = reader.readAll(reads, true, "counter read");
    TreeMap<byte[], long[]> out = new TreeMap<>(Keys.ORDER);
    for (int i = 0; i < order.size(); i++) {
      out.put(order.get(i), counterState(r.getResponses(i).getResponseRange()));
    }
    return out;
  }

  private static long[] counterState(RangeResponse r) {
    if (r.getKvsCount() == 0) {
      return new long[] {0, 0};
    }
    KeyValue kv = r.getKvs(0);
    return new long[] {Keys.counterOf(kv.getValue().toByteArray()), kv.getModRevision()};
  }

  private void checkSize(TxnRequest request) {
    long size = request.getSerializedSize();
    if (size > maxRequestBytes) {
      throw CatenaException.of(Errno.EFBIG, "kv %s: this commit is a %d-byte etcd request, more than etcd's"
          + " --max-request-bytes limit of %d (kv.etcd.max_request_bytes); etcd transactions are never split:"
          + " make the transaction smaller", url, size, maxRequestBytes);
    }
  }
}
