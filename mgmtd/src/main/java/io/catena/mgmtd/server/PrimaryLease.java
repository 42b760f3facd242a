package io.catena.mgmtd.server;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Status;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.NodeStatus;
import io.catena.common.cluster.NodeType;
import io.catena.common.config.Config;
import io.catena.kv.ReadTransaction;
import io.catena.kv.ReadWriteTransaction;
import io.catena.kv.TransactionRunner;
import io.catena.kv.TxnFunction;
import java.time.Clock;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This instance's hold on the primary lease, and every KV access of the server: reads, and writes that commit only
 * while the lease is held.
 *
 * <p>Why two primaries never both commit: every write transaction of the primary re-reads the lease record with a
 * conflict-tracked read and aborts unless it still holds it at its current epoch and, by its own clock, unexpired.
 * A takeover writes that record, so a write of the old primary is serialised either before the takeover (and
 * committed) or after it (and then it read the new holder or conflicts and re-reads it): after a takeover commits,
 * nothing the old primary writes can commit.
 *
 * <p>Not thread-safe: guarded by {@link MgmtdServer}'s lock.
 */
final class PrimaryLease {
  private static final Logger log = LoggerFactory.getLogger(PrimaryLease.class);

  private final ClusterStore store;
  private final TransactionRunner runner;
  private final Clock clock;
  private final long leaseMillis;
  private final long renewMillis;
  private final long nodeId;
  private final String address;
  private final String clusterId;

  /** The term this instance holds, 0 while it holds none. */
  // Volatile only so a status display may read them without the lock (written under it).
  private volatile long epoch;
  private volatile long leaseExpiresAt;
  private long lastRenewAt;

  /** The lease timings are read once: they are not hot-updatable, so a config version cannot change them. */
  PrimaryLease(ClusterStore store, TransactionRunner runner, Clock clock, Config config, long nodeId,
      String address, String clusterId) {
    this.store = store;
    this.runner = runner;
    this.clock = clock;
    this.leaseMillis = config.get(MgmtdServerConfig.LEASE_DURATION).toMillis();
    this.renewMillis = config.get(MgmtdServerConfig.LEASE_RENEW_INTERVAL).toMillis();
    this.nodeId = nodeId;
    this.address = address;
    this.clusterId = clusterId;
  }

  /** Whether this instance holds an unexpired lease by its own clock. */
  boolean isPrimary() {
    return epoch != 0 && clock.millis() < leaseExpiresAt;
  }

  /** Whether this instance believes it is in a term, expired or not: the tick's primary-only work runs then. */
  boolean inTerm() {
    return epoch != 0;
  }

  /** Gives up the term in memory only; the stored lease stays until it expires, as after a crash. */
  void stepDown() {
    epoch = 0;
  }

  /**
   * Renews the lease when due, or takes it when it is free, expired or left by this node's previous run. Returns
   * whether a new term began: what the previous term heard is then stale.
   */
  boolean tick(long now) {
    boolean primary = epoch != 0 && now < leaseExpiresAt;
    if (primary && now < lastRenewAt + renewMillis) {
      return false;
    }
    if (!primary) {
      // Cheap snapshot look first: followers tick often and must not write while a live lease exists.
      Optional<Lease> seen = read(store::lease);
      if (seen.isPresent() && !seen.get().expiredAt(now) && !seen.get().heldBy(nodeId, epoch)
          && seen.get().holderId() != nodeId) {
        epoch = 0;
        return false;
      }
    }
    long expires = now + leaseMillis;
    long myEpoch = epoch;
    record Outcome(Lease lease, boolean ours) {}
    Outcome out = runner.run(txn -> {
      Optional<Lease> cur = store.lease(txn);
      boolean mine = myEpoch != 0 && cur.isPresent() && cur.get().heldBy(nodeId, myEpoch);
      // A lease still held under our own node id was left by this node's previous run (a restart): take it now
      // instead of waiting out the dead process's lease. Two live processes never share a node id: registration
      // refuses it, and the embedded engine admits one process per store.
      boolean previousSelf = cur.isPresent() && cur.get().holderId() == nodeId;
      if (cur.isPresent() && !mine && !previousSelf && !cur.get().expiredAt(now)) {
        return new Outcome(cur.get(), false);
      }
      Optional<String> cid = store.clusterId(txn);
      if (cid.isEmpty()) {
        store.setClusterId(txn, clusterId);
      } else if (!cid.get().equals(clusterId)) {
        throw CatenaException.of(Errno.EINVAL, "this KV store belongs to cluster '%s', not '%s'", cid.get(),
            clusterId);
      }
      long newEpoch = mine ? myEpoch : cur.map(l -> l.epoch() + 1).orElse(1L);
      Lease l = new Lease(nodeId, address, newEpoch, expires);
      store.setLease(txn, l);
      if (!mine) {
        registerSelf(txn, cur);
      }
      return new Outcome(l, true);
    });
    boolean newTerm = false;
    if (out.ours()) {
      if (out.lease().epoch() != myEpoch) {
        log.info("mgmtd {} is primary (epoch {})", nodeId, out.lease().epoch());
        newTerm = true;
      }
      epoch = out.lease().epoch();
      leaseExpiresAt = expires;
      lastRenewAt = now;
    } else {
      if (epoch != 0) {
        log.warn("mgmtd {} lost the lease to mgmtd {} (epoch {})", nodeId, out.lease().holderId(),
            out.lease().epoch());
      }
      epoch = 0;
    }
    return newTerm;
  }

  /**
   * The new primary lists itself, so routing info tells every node where mgmtd is, and marks the previous holder
   * failed: it let its lease expire, so it was down or cut off (it lists itself again if it becomes primary).
   */
  private void registerSelf(ReadWriteTransaction txn, Optional<Lease> previous) {
    boolean changed = false;
    NodeInfo want = new NodeInfo(nodeId, NodeType.MGMTD, address, NodeStatus.ALIVE, 0, 0, 0, "");
    if (!store.node(txn, nodeId).equals(Optional.of(want))) {
      store.putNode(txn, want);
      changed = true;
    }
    if (previous.isPresent() && previous.get().holderId() != nodeId) {
      Optional<NodeInfo> old = store.node(txn, previous.get().holderId());
      if (old.isPresent() && old.get().type() == NodeType.MGMTD && old.get().status() == NodeStatus.ALIVE) {
        store.putNode(txn, old.get().withStatus(NodeStatus.FAILED));
        changed = true;
      }
    }
    if (changed) {
      store.bumpRoutingVersion(txn);
    }
  }

  /** Throws the redirect (or "no primary yet") unless this instance holds an unexpired lease. */
  long requirePrimary() {
    long now = clock.millis();
    if (epoch != 0 && now < leaseExpiresAt) {
      return epoch;
    }
    Optional<Lease> l = read(store::lease);
    if (l.isPresent() && l.get().holderId() != nodeId && !l.get().expiredAt(now)) {
      throw new CatenaException(Status.notPrimary(l.get().holderId(), l.get().holderAddress()));
    }
    throw CatenaException.retryable(Errno.EAGAIN, "mgmtd %d is not primary and no primary is known yet; retry"
        + " shortly", nodeId);
  }

  /** Thrown inside a write transaction when the lease is gone; not a CatenaException so the runner does not retry. */
  private static final class LeaseLost extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient Lease current;

    LeaseLost(Lease current) {
      super("lease lost", null, false, false);
      this.current = current;
    }
  }

  /** A write transaction of the primary, valid only while it still holds its lease (see the class comment). */
  <T> T write(TxnFunction<ReadWriteTransaction, T> body) {
    long myEpoch = requirePrimary();
    try {
      return runner.run(txn -> {
        Lease l = store.lease(txn).orElse(null);
        if (l == null || !l.heldBy(nodeId, myEpoch) || l.expiredAt(clock.millis())) {
          throw new LeaseLost(l);
        }
        return body.apply(txn);
      });
    } catch (LeaseLost e) {
      epoch = 0;
      log.warn("mgmtd {} lost its lease (now {}); write refused", nodeId, e.current);
      if (e.current != null && e.current.holderId() != nodeId && !e.current.expiredAt(clock.millis())) {
        throw new CatenaException(Status.notPrimary(e.current.holderId(), e.current.holderAddress()));
      }
      throw CatenaException.retryable(Errno.EAGAIN, "mgmtd %d lost its lease; retry shortly", nodeId);
    }
  }

  /** A read-only transaction with retries; reads in it are snapshot reads (see {@link SnapshotView}). */
  <T> T read(TxnFunction<ReadTransaction, T> body) {
    return runner.read(txn -> body.apply(new SnapshotView(txn)));
  }
}
