package io.catena.storage.service;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChunkId;
import io.catena.common.cluster.PublicTargetState;
import io.catena.storage.ChunkMeta;
import io.catena.storage.StorageRpc;
import io.catena.storage.proto.ChunkMetaP;
import io.catena.storage.proto.DumpChunkMetaReq;
import io.catena.storage.proto.DumpChunkMetaResp;
import io.catena.storage.proto.SyncReq;
import io.catena.storage.proto.SyncResp;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The syncing replica's side of resync (ARCHITECTURE §4.4; the predecessor's side is {@link SyncWorker}): it is
 * out of date from the start until the predecessor declares the sync done, and in between it lists its chunk
 * metadata for the predecessor to compare (the chunks themselves arrive as updates). Thread-safe: the state it
 * changes is the target's volatile up-to-date flag.
 */
final class SyncReceiver {
  private static final Logger LOG = LoggerFactory.getLogger(SyncReceiver.class);
  private static final int DEFAULT_PAGE = 1024;

  private final TargetManager targets;
  private final TargetGuard guard;

  SyncReceiver(TargetManager targets, TargetGuard guard) {
    this.targets = targets;
    this.guard = guard;
  }

  SyncResp start(SyncReq req) {
    Target t = guard.target(req.getTargetId());
    guard.checkChain(t, req.getChainId(), req.getChainVersion());
    t.setUpToDate(false);
    LOG.info("{}: resync started by its predecessor (chain v{})", t, req.getChainVersion());
    return SyncResp.getDefaultInstance();
  }

  SyncResp done(SyncReq req) {
    Target t = guard.target(req.getTargetId());
    ChainInfo c = guard.checkChain(t, req.getChainId(), req.getChainVersion());
    if (c.stateOf(t.targetId()).orElseThrow() != PublicTargetState.SYNCING) {
      throw CatenaException.retryable(Errno.EAGAIN, "%s is not syncing in %s", t, c);
    }
    t.setUpToDate(true);
    LOG.info("{}: resync done (chain v{})", t, req.getChainVersion());
    return SyncResp.getDefaultInstance();
  }

  /** One page of the target's chunk metadata, also for admin tools (no chain check, fenced targets included). */
  DumpChunkMetaResp dump(DumpChunkMetaReq req) {
    Target t = targets.get(req.getTargetId()).orElseThrow(
        () -> CatenaException.of(Errno.ENXIO, "no target %d on this node", req.getTargetId()));
    int limit = req.getLimit() <= 0 ? DEFAULT_PAGE : req.getLimit();
    ChunkId begin = req.hasBegin() ? StorageRpc.fromProto(req.getBegin()) : new ChunkId(0, 0);
    List<ChunkMeta> page = t.store().list(begin, new ChunkId(-1L, -1L), limit);
    DumpChunkMetaResp.Builder b = DumpChunkMetaResp.newBuilder().setMore(page.size() == limit);
    for (ChunkMeta m : page) {
      b.addChunks(ChunkMetaP.newBuilder().setChunk(StorageRpc.toProto(m.chunkId()))
          .setCommittedVersion(m.committedVersion()).setLength(m.length()).setCrc32C(m.crc32c())
          .setPendingVersion(m.pendingVersion()).setChainVersion(m.chainVersion()));
    }
    return b.build();
  }
}
