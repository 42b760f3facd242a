package io.catena.kv.etcd;

import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.grpc.StatusRuntimeException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Group commit: concurrent commits that touch disjoint keys travel as one etcd transaction, one raft proposal for
 * many. Each member's own transaction (its compares, writes and failure branch, unchanged) becomes a nested
 * transaction in the success branch of an outer one without compares, and its answer is its nested answer: etcd
 * decides each member's compares on its own, so a member that conflicts fails alone and the others commit.
 *
 * <p>Why the outcome equals a serial order: etcd evaluates the nested compares and applies the nested writes in one
 * raft entry; a member joins a batch only if nothing it reads (compares, ranges, at every nesting level) is written by
 * a member already in it, and nothing it writes is read or written by one. No member can then observe another, so
 * every member's compares have the same outcome whichever order the members ran in, and the batch equals running them
 * one after the other, at one commit revision. Disjoint writes also keep etcd's rule against one key put twice (or
 * put inside a deleted range) in one request. Counter adds are guarded by compares on the counter, so two adds to one
 * counter never share a batch. The head of the queue always joins, so none waits behind later ones forever.
 *
 * <p>Limits: etcd checks each nesting level against {@code --max-txn-ops} minus the operations of the levels above,
 * and the whole request against {@code --max-request-bytes}; a batch is sized so both hold. If etcd still refuses a
 * batch for a limit (its limits lower than configured) or for a malformed request, the members are sent again one
 * by one, each then getting its own answer. Any other failure of the batch (no answer, connection lost) is every
 * member's failure, as it would have been alone. Thread-safe.
 */
final class GroupCommit implements CommitSender {
  /**
   * One batch outstanding at a time, commits arriving meanwhile forming the next: fewer, larger raft proposals
   * measured faster than 2 or 4 concurrent ones when etcd shares the CPU with its clients.
   */
  private static final int MAX_IN_FLIGHT = 1;
  /** Room for the outer transaction's framing per member, generously. */
  private static final int FRAMING_BYTES = 16;

  private final EtcdClient client;
  private final int maxTxnOps;
  private final long maxRequestBytes;
  private final Batcher<Member> batcher;

  /**
   * One commit waiting for its answer. The batching thread alone computes its footprint; the answering thread writes
   * the outcome before completing {@code done}, and the committing thread reads it after: the future orders them.
   */
  private static final class Member {
    final TxnRequest request;
    final int depthOps;
    final long bytes;
    final CompletableFuture<Void> done = new CompletableFuture<>();
    KeySpans.Footprint footprint;
    TxnResponse answer;
    StatusRuntimeException error;

    Member(TxnRequest request) {
      this.request = request;
      this.depthOps = depthOps(request);
      this.bytes = request.getSerializedSize() + FRAMING_BYTES;
    }

    KeySpans.Footprint footprint() {
      if (footprint == null) {
        footprint = KeySpans.Footprint.of(request);
      }
      return footprint;
    }

    void answer(TxnResponse r) {
      answer = r;
      done.complete(null);
    }

    void fail(StatusRuntimeException e) {
      error = e;
      done.complete(null);
    }
  }

  GroupCommit(EtcdClient client, int maxTxnOps, long maxRequestBytes) {
    this.client = client;
    this.maxTxnOps = maxTxnOps;
    this.maxRequestBytes = maxRequestBytes;
    this.batcher = new Batcher<>(new Sender(), MAX_IN_FLIGHT);
  }

  /**
   * The operations etcd counts for {@code t} and everything nested in it: {@code max(compares, success, failure)}
   * of each level added along the deepest path, which is what a level above must leave room for.
   */
  static int depthOps(TxnRequest t) {
    int own = Math.max(t.getCompareCount(), Math.max(t.getSuccessCount(), t.getFailureCount()));
    int deepest = 0;
    for (List<RequestOp> branch : List.of(t.getSuccessList(), t.getFailureList())) {
      for (RequestOp op : branch) {
        if (op.hasRequestTxn()) {
          deepest = Math.max(deepest, depthOps(op.getRequestTxn()));
        }
      }
    }
    return own + deepest;
  }

  @Override
  public TxnResponse send(TxnRequest request) {
    String token = client.token();
    Member m = new Member(request);
    batcher.submit(m);
    m.done.join();
    if (m.error == null) {
      return m.answer;
    }
    if (client.refreshIfStale(m.error, token)) {
      return client.commit(request); // refused by the token check before raft: nothing applied
    }
    throw client.commitFailure(m.error);
  }

  /** {batches sent, items in them} so far. */
  long[] counts() {
    return batcher.counts();
  }

  private final class Sender implements Batcher.Sender<Member> {
    @Override
    public List<Member> take(ArrayDeque<Member> queue) {
      Member head = queue.poll();
      List<Member> batch = new ArrayList<>();
      batch.add(head);
      if (queue.isEmpty() || head.depthOps >= maxTxnOps - 1) {
        return batch;
      }
      KeySpans reads = new KeySpans();
      KeySpans writes = new KeySpans();
      reads.addAll(head.footprint().reads());
      writes.addAll(head.footprint().writes());
      int deepest = head.depthOps;
      long bytes = head.bytes;
      for (Iterator<Member> it = queue.iterator(); it.hasNext(); ) {
        Member m = it.next();
        int d = Math.max(deepest, m.depthOps);
        // The outer level holds one op per member, and etcd leaves the members only what the outer level did not use.
        if (batch.size() + 1 + d > maxTxnOps) {
          break;
        }
        if (bytes + m.bytes > maxRequestBytes) {
          continue;
        }
        KeySpans.Footprint f = m.footprint();
        if (writes.overlaps(f.reads()) || writes.overlaps(f.writes()) || reads.overlaps(f.writes())) {
          continue;
        }
        it.remove();
        batch.add(m);
        reads.addAll(f.reads());
        writes.addAll(f.writes());
        deepest = d;
        bytes += m.bytes;
      }
      return batch;
    }

    @Override
    public void send(List<Member> batch, Runnable done) {
      if (batch.size() == 1) {
        Member m = batch.getFirst();
        client.txnAsync(m.request, (r, e) -> {
          if (e == null) {
            m.answer(r);
          } else {
            m.fail(e);
          }
          done.run();
        });
        return;
      }
      TxnRequest.Builder outer = TxnRequest.newBuilder();
      for (Member m : batch) {
        outer.addSuccess(RequestOp.newBuilder().setRequestTxn(m.request));
      }
      client.txnAsync(outer.build(), (r, e) -> {
        if (e == null) {
          for (int i = 0; i < batch.size(); i++) {
            // The nested answer carries no header of its own: the batch's revision is every member's commit revision.
            batch.get(i).answer(r.getResponses(i).getResponseTxn().toBuilder().setHeader(r.getHeader()).build());
          }
          done.run();
          return;
        }
        if (refusedWhole(e)) {
          oneByOne(batch, done);
          return;
        }
        for (Member m : batch) {
          m.fail(e);
        }
        done.run();
      });
    }

    /** etcd refused the combined request before proposing it, for a reason that may be the combination's. */
    private boolean refusedWhole(StatusRuntimeException e) {
      String d = String.valueOf(e.getStatus().getDescription());
      return d.contains("too many operations in txn request") || d.contains("request is too large")
          || d.contains("duplicate key given in txn request");
    }

    private void oneByOne(List<Member> batch, Runnable done) {
      AtomicInteger left = new AtomicInteger(batch.size());
      for (Member m : batch) {
        send(List.of(m), () -> {
          if (left.decrementAndGet() == 0) {
            done.run();
          }
        });
      }
    }
  }
}
