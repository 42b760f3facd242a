package io.catena.kv.etcd;

import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.grpc.StatusRuntimeException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The read path of the engine's transactions.
 *
 * <p>Freshness: a read without a revision is linearizable (etcd confirms its leadership through a quorum first), so
 * it sees every commit acknowledged before it was sent. A read at a fixed revision needs no such confirmation:
 * history up to a revision never changes once a member has applied it, so it is served serializably by whichever
 * member the channel picks, and sent again linearizably (which waits until that member has caught up) only when the
 * member has not applied the revision yet.
 *
 * <p>Batching: concurrent callers' reads ("groups": one transaction's read, or the several reads one commit check
 * needs at one revision) share one read-only etcd transaction ({@link Batcher}), each read keeping its own revision.
 * A batch is linearizable if any group in it needs a fresh revision; such a group's revision is the batch's, and the
 * batch was sent after the group was submitted, so a begin folded into it still sees every commit acknowledged
 * before it. A batch that fails for one group's sake (an answer too large for this client, a compacted revision) is
 * sent again one group per request, so each caller gets its own answer. Thread-safe.
 */
final class EtcdReader {
  /**
   * One batch outstanding at a time: with etcd, this client and its callers sharing the CPU, fewer and larger
   * requests won (measured against 2 and 4 with 16 and 64 clients); latency under load is about one round trip more.
   */
  private static final int MAX_IN_FLIGHT = 1;

  private final EtcdClient client;
  private final EtcdKeys keys;
  private final int maxTxnOps;
  private final Batcher<Group> batcher;

  /**
   * One caller's reads, sent together at one revision, and their answer. The answering thread writes the outcome
   * before completing {@code done}; the caller reads it after: the future orders the two.
   */
  private static final class Group {
    final List<RangeRequest> reads;
    final boolean fresh;
    final CompletableFuture<Void> done = new CompletableFuture<>();
    TxnResponse answer;
    StatusRuntimeException error;

    Group(List<RangeRequest> reads, boolean fresh) {
      this.reads = reads;
      this.fresh = fresh;
    }

    void answer(TxnResponse r, int from) {
      answer = TxnResponse.newBuilder().setHeader(r.getHeader())
          .addAllResponses(r.getResponsesList().subList(from, from + reads.size())).build();
      done.complete(null);
    }

    void fail(StatusRuntimeException e) {
      error = e;
      done.complete(null);
    }
  }

  EtcdReader(EtcdClient client, EtcdKeys keys, int maxTxnOps) {
    this.client = client;
    this.keys = keys;
    this.maxTxnOps = Math.max(1, maxTxnOps);
    this.batcher = new Batcher<>(new Sender(), MAX_IN_FLIGHT);
  }

  EtcdKeys keys() {
    return keys;
  }

  /** The latest revision, linearizably: a begin that needs its version before any read. */
  long currentRevision() {
    return run(List.of(RangeRequest.newBuilder().setKey(keys.probe()).setCountOnly(true).build()), true, "begin")
        .getHeader().getRevision();
  }

  /**
   * One read: linearizable if it has no revision (the answer's header names the revision it was served at), else at
   * its revision.
   */
  RangeResponse range(RangeRequest q, String what) {
    TxnResponse r = run(List.of(q), q.getRevision() <= 0, what);
    RangeResponse rr = r.getResponses(0).getResponseRange();
    // Inside a transaction a range's own header may be bare: the transaction's names the revision served.
    return rr.toBuilder().setHeader(r.getHeader()).build();
  }

  /**
   * Several reads at one revision in one round trip. With {@code fresh} they are linearizable; otherwise every read
   * must name its revision.
   */
  TxnResponse readAll(List<RequestOp> reads, boolean fresh, String what) {
    List<RangeRequest> rs = new ArrayList<>(reads.size());
    for (RequestOp r : reads) {
      rs.add(r.getRequestRange());
    }
    return run(rs, fresh, what);
  }

  private TxnResponse run(List<RangeRequest> reads, boolean fresh, String what) {
    String token = client.token();
    Group g = new Group(reads, fresh);
    batcher.submit(g);
    g.done.join();
    if (g.error == null) {
      return g.answer;
    }
    if (client.refreshIfStale(g.error, token)) {
      return client.readTxn(request(List.of(g), true), what); // rare: once per token expiry
    }
    throw client.readFailure(g.error, what);
  }

  private static TxnRequest request(List<Group> groups, boolean linearizable) {
    TxnRequest.Builder t = TxnRequest.newBuilder();
    for (Group g : groups) {
      for (RangeRequest r : g.reads) {
        RangeRequest q = linearizable ? r : r.toBuilder().setSerializable(true).build();
        t.addSuccess(RequestOp.newBuilder().setRequestRange(q));
      }
    }
    return t.build();
  }

  /** What may share a batch, and how a batch's failure reaches its groups. */
  /** {batches sent, items in them} so far. */
  long[] counts() {
    return batcher.counts();
  }

  private final class Sender implements Batcher.Sender<Group> {
    @Override
    public List<Group> take(ArrayDeque<Group> queue) {
      List<Group> batch = new ArrayList<>();
      int ops = 0;
      while (!queue.isEmpty() && (batch.isEmpty() || ops + queue.peek().reads.size() <= maxTxnOps)) {
        Group g = queue.poll();
        ops += g.reads.size();
        batch.add(g);
      }
      return batch;
    }

    @Override
    public void send(List<Group> batch, Runnable done) {
      boolean fresh = batch.stream().anyMatch(g -> g.fresh);
      sendAs(batch, fresh, done);
    }

    private void sendAs(List<Group> batch, boolean linearizable, Runnable done) {
      client.txnAsync(request(batch, linearizable), (r, e) -> {
        if (e == null) {
          int from = 0;
          for (Group g : batch) {
            g.answer(r, from);
            from += g.reads.size();
          }
          done.run();
          return;
        }
        String d = String.valueOf(e.getStatus().getDescription());
        if (!linearizable && d.contains("required revision is a future revision")) {
          // The serving member has not applied some group's revision yet: a linearizable read waits until it has.
          sendAs(batch, true, done);
        } else if (batch.size() > 1 && (d.contains("exceeds maximum size") || d.contains("has been compacted"))) {
          alone(batch, linearizable, done);
        } else {
          for (Group g : batch) {
            g.fail(e);
          }
          done.run();
        }
      });
    }

    /** Each group in a request of its own, so a failure reaches only the group it belongs to. */
    private void alone(List<Group> batch, boolean linearizable, Runnable done) {
      AtomicInteger left = new AtomicInteger(batch.size());
      Runnable one = () -> {
        if (left.decrementAndGet() == 0) {
          done.run();
        }
      };
      for (Group g : batch) {
        sendAs(List.of(g), linearizable || g.fresh, one);
      }
    }
  }
}
