package io.catena.storage.service;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChainTarget;
import io.catena.common.cluster.ChunkId;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.retry.Retrier;
import io.catena.rpc.Attachment;
import io.catena.storage.ChunkMeta;
import io.catena.storage.ChunkStore;
import io.catena.storage.StorageRpc;
import io.catena.storage.proto.UpdateKind;
import io.catena.storage.proto.UpdateReq;
import io.catena.storage.proto.UpdateResp;
import io.catena.storage.proto.WriteResp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CRAQ write path of this node's targets (ARCHITECTURE §4.3). The head assigns {@code version = committed + 1},
 * stores it pending, forwards the same version to its successor and commits when the successor replies; every
 * successor does the same with the version it was given, so the tail commits first. A successor that is syncing
 * receives whole-chunk replacements. A successor that already holds the version (a retry) answers with its
 * committed state; if that differs from ours after our commit, or the successor reports a version gap, we send it
 * our whole committed chunk, so replicas converge even after a failed round trip.
 *
 * <p>Thread-safe: updates of one chunk on one target are serialised by the target's chunk lock, held from the local
 * pending write until the local commit (so across the successor round trip).
 */
final class ChainReplicator {
  private static final Logger LOG = LoggerFactory.getLogger(ChainReplicator.class);

  private final RoutingWatcher routing;
  private final PeerCalls peers;
  private final Retrier forwarding;
  private volatile boolean closed;

  /** {@code forwarding}'s policy timeout is {@code storage.forward_timeout}, the limit of one forward. */
  ChainReplicator(RoutingWatcher routing, PeerCalls peers, Retrier forwarding) {
    this.routing = routing;
    this.peers = peers;
    this.forwarding = forwarding;
  }

  /** The head's half of a client write or truncate: assign the version, store pending, forward, commit. */
  WriteResp headUpdate(Target t, ChainInfo c, ChunkUpdate update) {
    ChunkStore store = t.store();
    try (Target.ChunkLock l = t.lock(update.chunk())) {
      ChunkUpdate u = update.atVersion(store.meta(update.chunk()).map(ChunkMeta::committedVersion).orElse(0L) + 1);
      applyPending(t, c, u);
      UpdateResp succ;
      try {
        succ = forward(t, u);
      } catch (RuntimeException e) {
        store.abort(u.chunk(), u.version());
        throw e;
      }
      ChunkMeta m = store.commit(u.chunk(), u.version());
      reconcile(t, u.chunkSize(), m, succ);
      WriteResp resp = writeResp(m);
      RetriedWrites.remember(t, u.tag(), resp);
      return resp;
    }
  }

  /**
   * A successor's half of an update its predecessor sent: apply it, pass it on unless it came from a resync
   * ({@code fromSync}), commit. Returns what this replica holds afterwards.
   */
  UpdateResp successorUpdate(Target t, ChainInfo c, ChunkUpdate u, boolean fromSync) {
    ChunkStore store = t.store();
    ChunkId chunk = u.chunk();
    try (Target.ChunkLock l = t.lock(chunk)) {
      switch (u.kind()) {
        case WRITE, TRUNCATE -> {
          try {
            applyPending(t, c, u);
          } catch (CatenaException e) {
            if (e.errno() == Errno.EALREADY) {
              // A retry of something we (and so our successors) already committed: report what we hold.
              return updateResp(store.meta(chunk));
            }
            throw e;
          }
          UpdateResp succ;
          try {
            succ = forward(t, u);
          } catch (RuntimeException e) {
            store.abort(chunk, u.version());
            throw e;
          }
          ChunkMeta m = store.commit(chunk, u.version());
          reconcile(t, u.chunkSize(), m, succ);
          RetriedWrites.remember(t, u.tag(), writeResp(m));
          return updateResp(Optional.of(m));
        }
        case REPLACE -> {
          ByteBuf contiguous = ByteBufs.contiguous(u.data());
          ChunkMeta m;
          try {
            m = store.replace(c.chainId(), chunk, c.version(), u.version(), u.chunkSize(), contiguous.nioBuffer(),
                u.crc32c());
          } finally {
            if (contiguous != u.data()) {
              contiguous.release();
            }
          }
          if (!fromSync) {
            UpdateResp succ = forward(t, ChunkUpdate.replace(chunk, u.version(), u.chunkSize(), u.data(), u.crc32c(),
                u.tag()));
            reconcile(t, u.chunkSize(), m, succ);
          }
          RetriedWrites.remember(t, u.tag(), writeResp(m));
          return updateResp(Optional.of(m));
        }
        case REMOVE -> {
          store.remove(chunk);
          if (!fromSync) {
            forward(t, ChunkUpdate.remove(chunk, u.chunkSize(), u.tag()));
          }
          return UpdateResp.getDefaultInstance();
        }
        default -> throw CatenaException.of(Errno.EINVAL, "unknown update kind %s", u.kind());
      }
    }
  }

  private static void applyPending(Target t, ChainInfo c, ChunkUpdate u) {
    if (u.kind() == UpdateKind.WRITE) {
      ByteBuf contiguous = ByteBufs.contiguous(u.data());
      try {
        t.store().write(new ChunkStore.WriteRequest(c.chainId(), u.chunk(), c.version(), u.version(), u.chunkSize(),
            u.offset(), contiguous.nioBuffer(), u.crc32c()));
      } finally {
        if (contiguous != u.data()) {
          contiguous.release();
        }
      }
    } else {
      t.store().truncate(c.chainId(), u.chunk(), c.version(), u.version(), u.chunkSize(), u.length());
    }
  }

  /**
   * Sends an update to this target's successor and returns its reply, or null when this target is the tail.
   * Retries while routing changes (a failed successor is dropped or replaced by mgmtd) until
   * {@code storage.forward_timeout}. A syncing successor, or one that missed versions, gets the whole chunk.
   */
  private UpdateResp forward(Target t, ChunkUpdate u) {
    Retrier.Attempts attempts = forwarding.begin();
    boolean whole = u.kind() == UpdateKind.REPLACE;
    RoutingInfo r = routing.current();
    while (true) {
      ChainInfo c = r.chain(t.chainId()).orElseThrow(
          () -> CatenaException.retryable(Errno.EAGAIN, "chain %d vanished from routing", t.chainId()));
      if (!c.stateOf(t.targetId()).map(PublicTargetState::receivesWrites).orElse(false)) {
        // Routing changed under this update: we left the chain (a drain's last step) or stopped taking writes and
        // may have moved to its end. Finding no successor must not make us the tail: committing here would
        // acknowledge a write that the chain's members do not hold. The writer retries at the current head.
        throw CatenaException.retryable(Errno.ESTALE, "%s no longer takes writes in %s: retry at the head", t, c);
      }
      Optional<ChainTarget> succ = successor(c, t.targetId());
      if (succ.isEmpty()) {
        return null;
      }
      UpdateKind sendKind = u.kind();
      if (u.kind() != UpdateKind.REMOVE && (whole || succ.get().state() == PublicTargetState.SYNCING)) {
        sendKind = UpdateKind.REPLACE;
      }
      UpdateReq.Builder b = UpdateReq.newBuilder().setTargetId(succ.get().targetId()).setChainId(t.chainId())
          .setChainVersion(c.version()).setChunk(StorageRpc.toProto(u.chunk())).setKind(sendKind)
          .setVersion(u.version()).setChunkSize(u.chunkSize()).setOffset(u.offset()).setLength(u.length())
          .setCrc32C(u.crc32c());
      if (u.tag() != null) {
        b.setTag(u.tag());
      }
      Attachment att = null;
      if (sendKind == UpdateKind.REPLACE) {
        ByteBuf content = u.kind() == UpdateKind.REPLACE ? u.data().retainedSlice() : pendingContent(t, u);
        b.setCrc32C(ByteBufs.crc32c(content)).setOffset(0).setLength(content.readableBytes());
        att = Attachment.of(content);
      } else if (sendKind == UpdateKind.WRITE) {
        att = Attachment.of(u.data().retainedSlice());
      }
      try {
        return peers.call(r, succ.get().targetId(), StorageRpc.UPDATE, b.build(), att, attempts.deadline())
            .message();
      } catch (CatenaException e) {
        if (!e.isRetryable() && e.errno() == Errno.ESTALE && !whole) {
          LOG.info("{}: successor {} missed versions of chunk {}; sending the whole chunk", t,
              succ.get().targetId(), u.chunk());
          whole = true;
          continue;
        }
        if (!e.isRetryable() || closed) {
          throw e;
        }
        attempts.failedNoPause(e);
        LOG.debug("{}: forwarding {} of chunk {} to {}: {}; waiting for routing", t, u.kind(), u.chunk(),
            succ.get().targetId(), e.getMessage());
        r = routing.awaitNewer(r.version());
      }
    }
  }

  /** The next member after {@code targetId} that receives writes (serving or syncing). */
  static Optional<ChainTarget> successor(ChainInfo c, long targetId) {
    List<ChainTarget> ts = c.targets();
    int i = 0;
    while (i < ts.size() && ts.get(i).targetId() != targetId) {
      i++;
    }
    for (int j = i + 1; j < ts.size(); j++) {
      if (ts.get(j).state().receivesWrites()) {
        return Optional.of(ts.get(j));
      }
    }
    return Optional.empty();
  }

  /**
   * The whole content the pending update will have (the store keeps pending content private): committed content
   * cut, extended and patched exactly as {@link ChunkStore#write} / {@link ChunkStore#truncate} do.
   */
  private static ByteBuf pendingContent(Target t, ChunkUpdate u) {
    ByteBuffer base = t.committedContent(u.chunk());
    int baseLen = base.remaining();
    int n = u.data().readableBytes();
    long newLen = u.kind() == UpdateKind.TRUNCATE ? u.length() : Math.max(baseLen, u.offset() + n);
    byte[] out = new byte[(int) newLen];
    base.get(out, 0, (int) Math.min(baseLen, newLen));
    if (u.kind() == UpdateKind.WRITE) {
      u.data().getBytes(u.data().readerIndex(), out, (int) u.offset(), n);
    }
    return Unpooled.wrappedBuffer(out);
  }

  /** After our commit: if the successor holds something else for this chunk, send it our whole chunk. */
  private void reconcile(Target t, int chunkSize, ChunkMeta ours, UpdateResp succ) {
    if (succ == null) {
      return;
    }
    if (succ.getCommittedVersion() == ours.committedVersion() && succ.getChunkLength() == ours.length()
        && succ.getChunkCrc32C() == ours.crc32c()) {
      return;
    }
    LOG.warn("{}: successor holds chunk {} as v{} ({} bytes, crc {}), we committed v{} ({} bytes, crc {});"
            + " replacing it", t, ours.chunkId(), succ.getCommittedVersion(), succ.getChunkLength(),
        Integer.toHexString(succ.getChunkCrc32C()), ours.committedVersion(), ours.length(),
        Integer.toHexString(ours.crc32c()));
    ByteBuf content = Unpooled.wrappedBuffer(t.committedContent(ours.chunkId()));
    try {
      forward(t, ChunkUpdate.replace(ours.chunkId(), ours.committedVersion(), chunkSize, content, ours.crc32c(),
          null));
    } finally {
      content.release();
    }
  }

  private static WriteResp writeResp(ChunkMeta m) {
    return WriteResp.newBuilder().setVersion(m.committedVersion()).setChunkLength(m.length())
        .setChunkCrc32C(m.crc32c()).build();
  }

  private static UpdateResp updateResp(Optional<ChunkMeta> m) {
    return m.filter(ChunkMeta::hasCommitted).map(x -> UpdateResp.newBuilder()
        .setCommittedVersion(x.committedVersion()).setChunkLength(x.length()).setChunkCrc32C(x.crc32c()).build())
        .orElse(UpdateResp.getDefaultInstance());
  }

  /** Stops retrying forwards: a forward in progress fails at its next retryable error. */
  void close() {
    closed = true;
  }
}
