package io.catena.mgmtd.server;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.mgmtd.ClientSession;
import io.catena.mgmtd.MgmtdConfig;
import io.catena.mgmtd.SessionRequest;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Client sessions (FUSE mounts, native clients): extended by their clients, expired by
 * {@code mgmtd.client_session_timeout}, pruned by the primary's tick.
 *
 * <p>Not thread-safe: guarded by {@link MgmtdServer}'s lock.
 */
final class SessionTable {
  private final ClusterStore store;
  private final PrimaryLease lease;
  private final Supplier<Config> config;
  private final Clock clock;

  SessionTable(ClusterStore store, PrimaryLease lease, Supplier<Config> config, Clock clock) {
    this.store = store;
    this.lease = lease;
    this.config = config;
    this.clock = clock;
  }

  private long timeoutMillis() {
    return config.get().get(MgmtdConfig.CLIENT_SESSION_TIMEOUT).toMillis();
  }

  /** Opens or extends a session; one extended after it expired starts anew. */
  ClientSession extend(SessionRequest req) {
    if (req.clientId().isEmpty() || req.clientId().length() > 256) {
      throw CatenaException.of(Errno.EINVAL, "client id must have 1-256 characters");
    }
    if (!req.type().isClient()) {
      throw CatenaException.of(Errno.EINVAL, "sessions are for FUSE and CLIENT, not %s", req.type());
    }
    long now = clock.millis();
    long timeout = timeoutMillis();
    StoredSession s = lease.write(txn -> {
      Optional<StoredSession> old = store.session(txn, req.clientId());
      long start = old.filter(o -> o.lastExtendMillis() + timeout > now).map(StoredSession::startMillis)
          .orElse(now);
      StoredSession n = new StoredSession(req.clientId(), req.type(), req.host(), req.description(), start, now);
      store.putSession(txn, n);
      return n;
    });
    return toSession(s, timeout);
  }

  void close(String clientId) {
    lease.write(txn -> {
      store.clearSession(txn, clientId);
      return null;
    });
  }

  /** The sessions not expired yet. */
  List<ClientSession> list() {
    long now = clock.millis();
    long timeout = timeoutMillis();
    return lease.read(store::sessions).stream().filter(s -> s.lastExtendMillis() + timeout > now)
        .map(s -> toSession(s, timeout)).toList();
  }

  /** Deletes expired sessions; one extended meanwhile stays. */
  void prune(long now) {
    long timeout = timeoutMillis();
    List<String> expired = lease.read(store::sessions).stream()
        .filter(x -> x.lastExtendMillis() + timeout <= now).map(StoredSession::clientId).toList();
    if (!expired.isEmpty()) {
      lease.write(txn -> {
        for (String id : expired) {
          Optional<StoredSession> cur = store.session(txn, id);
          if (cur.isPresent() && cur.get().lastExtendMillis() + timeout <= now) {
            store.clearSession(txn, id);
          }
        }
        return null;
      });
    }
  }

  private static ClientSession toSession(StoredSession s, long timeout) {
    return new ClientSession(s.clientId(), s.type(), s.host(), s.description(), s.startMillis(),
        s.lastExtendMillis(), s.lastExtendMillis() + timeout);
  }
}
