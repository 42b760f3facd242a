package io.catena.storage.service;

import io.catena.common.CatenaException;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChainTarget;
import io.catena.common.cluster.ChunkId;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.retry.Retrier;
import io.catena.storage.ChunkMeta;
import io.catena.storage.StorageRpc;
import io.catena.storage.proto.RemoveRangeReq;
import java.util.List;
import java.util.Optional;

/**
 * Removes a range of chunks (e.g. a deleted file's) on one replica and then passes the removal down the chain,
 * retrying while routing changes until {@code storage.forward_timeout}. Thread-safe: no state of its own; each chunk
 * is removed under the target's chunk lock.
 */
final class RangeRemover {
  private static final int PAGE = 1024;

  private final RoutingWatcher routing;
  private final PeerCalls peers;
  private final Retrier forwarding;

  RangeRemover(RoutingWatcher routing, PeerCalls peers, Retrier forwarding) {
    this.routing = routing;
    this.peers = peers;
    this.forwarding = forwarding;
  }

  /** Removes the chunks of {@code req}'s range on {@code t}, forwards the request; returns how many were here. */
  long removeRange(Target t, ChainInfo c, RemoveRangeReq req) {
    long removed = removeLocally(t, StorageRpc.fromProto(req.getBegin()), StorageRpc.fromProto(req.getEnd()));
    Retrier.Attempts attempts = forwarding.begin();
    RoutingInfo r = routing.current();
    while (true) {
      Optional<ChainInfo> ch = r.chain(c.chainId());
      Optional<ChainTarget> succ = ch.flatMap(x -> ChainReplicator.successor(x, t.targetId()));
      if (succ.isEmpty()) {
        break;
      }
      RemoveRangeReq fwd = req.toBuilder().setTargetId(succ.get().targetId()).setChainVersion(ch.get().version())
          .setForwarded(true).build();
      try {
        peers.call(r, succ.get().targetId(), StorageRpc.REMOVE_RANGE, fwd, null, attempts.deadline()).close();
        break;
      } catch (CatenaException e) {
        if (!e.isRetryable()) {
          throw e;
        }
        attempts.failedNoPause(e);
        r = routing.awaitNewer(r.version());
      }
    }
    return removed;
  }

  /**
   * Chunk by chunk under the chunk lock (not the store's one-shot removeRange), so a resync of a chunk that runs
   * concurrently is ordered with the removal at the successor.
   */
  private static long removeLocally(Target t, ChunkId begin, ChunkId end) {
    long removed = 0;
    ChunkId from = begin;
    while (true) {
      List<ChunkMeta> page = t.store().list(from, end, PAGE);
      for (ChunkMeta m : page) {
        try (Target.ChunkLock l = t.lock(m.chunkId())) {
          if (t.store().remove(m.chunkId())) {
            removed++;
          }
        }
      }
      if (page.size() < PAGE) {
        return removed;
      }
      ChunkId last = page.get(page.size() - 1).chunkId();
      from = new ChunkId(last.inode(), last.index() + 1);
    }
  }
}
