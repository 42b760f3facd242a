package io.catena.metalogger.server;

import com.google.protobuf.ByteString;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.UserAccount;
import io.catena.kv.rocksdb.ChangeFeed;
import io.catena.kv.rocksdb.PinnedSnapshot;
import io.catena.kv.rocksdb.RocksKvEngine;
import io.catena.metalogger.proto.Change;
import io.catena.metalogger.proto.ChangesOutcome;
import io.catena.metalogger.proto.ChangesRequest;
import io.catena.metalogger.proto.ChangesResponse;
import io.catena.metalogger.proto.CloseCheckpointResponse;
import io.catena.metalogger.proto.OpenCheckpointResponse;
import io.catena.metalogger.proto.Pair;
import io.catena.metalogger.proto.ReadCheckpointRequest;
import io.catena.metalogger.proto.ReadCheckpointResponse;
import io.catena.metalogger.rpc.MetalogMethods;
import io.catena.rpc.RpcCall;
import io.catena.rpc.RpcReply;
import io.catena.rpc.ServiceDefinition;
import java.time.Clock;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the embedded store's metadata log to loggers and online backups: checkpoints read page by page from a
 * pinned RocksDB snapshot, and the change feed's write batches after a version. Admin tokens only. A checkpoint
 * left idle for {@link #IDLE_MILLIS} (its reader died) is released by the next open. Thread-safe.
 */
public final class MetalogService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MetalogService.class);
  static final long IDLE_MILLIS = 120_000;
  private static final int MAX_PAGE_BYTES = 4 << 20;
  private static final int MAX_WAIT_MILLIS = 5_000;
  private static final byte[] END = {(byte) 0xff};

  private record Open(PinnedSnapshot snapshot, AtomicLong lastUsed) {}

  /** What a logger last asked: the changes after {@code version}, at {@code millis}. */
  private record Seen(long version, long millis) {}

  /** Loggers unheard of this long are forgotten. */
  static final long FORGET_MILLIS = 600_000;

  private final RocksKvEngine engine;
  private final Clock clock;
  private final Map<Long, Open> checkpoints = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final Map<String, Seen> loggers = new ConcurrentHashMap<>();

  public MetalogService(RocksKvEngine engine, Clock clock) {
    this.engine = engine;
    this.clock = clock;
  }

  /** The service for {@code kv} when it is the embedded engine (the only one with a change feed), else empty. */
  public static java.util.Optional<MetalogService> forEngine(io.catena.kv.KvEngine kv, Clock clock) {
    return kv instanceof RocksKvEngine rocks ? java.util.Optional.of(new MetalogService(rocks, clock))
        : java.util.Optional.empty();
  }

  public ServiceDefinition definition() {
    return ServiceDefinition.builder(MetalogMethods.SERVICE_NAME, MetalogMethods.SERVICE_ID)
        .method(MetalogMethods.OPEN_CHECKPOINT, call -> answer(call, () -> open()))
        .method(MetalogMethods.READ_CHECKPOINT, call -> answer(call, () -> read(call.request())))
        .method(MetalogMethods.CLOSE_CHECKPOINT, call -> answer(call, () -> {
          release(call.request().getCheckpointId());
          return CloseCheckpointResponse.getDefaultInstance();
        }))
        .method(MetalogMethods.CHANGES, this::changes)
        .method(MetalogMethods.LIST_LOGGERS, call -> answer(call, this::listLoggers))
        .build();
  }

  private interface Body<T> {
    T get() throws Exception;
  }

  private static <T extends com.google.protobuf.Message> CompletableFuture<RpcReply<T>> answer(RpcCall<?> call,
      Body<T> body) throws Exception {
    checkAdmin(call);
    return CompletableFuture.completedFuture(RpcReply.of(body.get()));
  }

  private static void checkAdmin(RpcCall<?> call) {
    // The control process's authenticator lets any user through for services other than mgmtd's: the store's
    // whole content (tokens included) is for admins only.
    if (call.caller().isPresent() && !call.caller().map(UserAccount::admin).orElse(false)) {
      throw CatenaException.of(Errno.EPERM, "the metadata log is for admin tokens only");
    }
  }

  private OpenCheckpointResponse open() {
    long now = clock.millis();
    for (Iterator<Map.Entry<Long, Open>> it = checkpoints.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Long, Open> e = it.next();
      if (now - e.getValue().lastUsed().get() > IDLE_MILLIS) {
        it.remove();
        e.getValue().snapshot().close();
        LOG.info("released checkpoint {} at version {}: idle", e.getKey(), e.getValue().snapshot().version());
      }
    }
    PinnedSnapshot s = engine.pinSnapshot();
    long id = ids.incrementAndGet();
    checkpoints.put(id, new Open(s, new AtomicLong(now)));
    LOG.info("checkpoint {} opened at version {}", id, s.version());
    return OpenCheckpointResponse.newBuilder().setCheckpointId(id).setVersion(s.version()).setEngine(engine.url())
        .build();
  }

  private ReadCheckpointResponse read(ReadCheckpointRequest req) {
    Open o = checkpoints.get(req.getCheckpointId());
    if (o == null) {
      throw CatenaException.of(Errno.ENOENT, "no open checkpoint %d (released after %d s idle, or the control "
          + "process restarted): open a new one", req.getCheckpointId(), IDLE_MILLIS / 1000);
    }
    o.lastUsed().set(clock.millis());
    byte[] begin = req.hasAfterKey() ? Arrays.copyOf(req.getAfterKey().toByteArray(), req.getAfterKey().size() + 1)
        : new byte[0];
    int limit = Math.clamp(req.getMaxBytes(), 1, MAX_PAGE_BYTES);
    ReadCheckpointResponse.Builder b = ReadCheckpointResponse.newBuilder();
    long[] size = {0};
    boolean[] more = {false};
    o.snapshot().scan(begin, END, (k, v) -> {
      if (b.getPairsCount() > 0 && size[0] + k.length + v.length > limit) {
        more[0] = true;
        return false;
      }
      b.addPairs(Pair.newBuilder().setKey(ByteString.copyFrom(k)).setValue(ByteString.copyFrom(v)));
      size[0] += k.length + v.length;
      return true;
    });
    return b.setDone(!more[0]).build();
  }

  private void release(long id) {
    Open o = checkpoints.remove(id);
    if (o != null) {
      o.snapshot().close();
    }
  }

  /**
   * Answers at once when there are changes after the caller's version, else when the next commit comes or the
   * caller's wait is over, whichever is first, without holding an RPC worker meanwhile.
   */
  private CompletableFuture<RpcReply<ChangesResponse>> changes(RpcCall<ChangesRequest> call) throws Exception {
    checkAdmin(call);
    ChangesRequest req = call.request();
    ChangeFeed feed = engine.changeFeed();
    if (!feed.enabled()) {
      throw CatenaException.of(Errno.EOPNOTSUPP, "the change feed is off on this control process "
          + "(kv.rocksdb.change_feed_size = 0)");
    }
    loggers.put(String.valueOf(call.remoteAddress()), new Seen(req.getAfterVersion(), clock.millis()));
    long wait = Math.min(req.getWaitMillis(), MAX_WAIT_MILLIS);
    return feed.whenAfter(req.getAfterVersion()).completeOnTimeout(null, wait, TimeUnit.MILLISECONDS)
        .thenApplyAsync(x -> RpcReply.of(changes(feed, req)));
  }

  private static ChangesResponse changes(ChangeFeed feed, ChangesRequest req) {
    ChangeFeed.Read r = feed.since(req.getAfterVersion(), Math.max(1, req.getMaxBytes()));
    ChangesResponse.Builder b = ChangesResponse.newBuilder().setLatestVersion(r.latestVersion())
        .setOldestVersion(r.oldestVersion()).setOutcome(switch (r.outcome()) {
          case OK -> ChangesOutcome.CHANGES_OK;
          case TOO_OLD -> ChangesOutcome.CHANGES_TOO_OLD;
          case AHEAD -> ChangesOutcome.CHANGES_AHEAD;
        });
    for (ChangeFeed.Entry e : r.entries()) {
      b.addChanges(Change.newBuilder().setFromVersion(e.fromVersion()).setToVersion(e.toVersion())
          .setCommitMillis(e.commitMillis()).setBatch(ByteString.copyFrom(e.batch())));
    }
    return b.build();
  }

  private io.catena.metalogger.proto.ListLoggersResponse listLoggers() {
    long now = clock.millis();
    loggers.values().removeIf(seen -> now - seen.millis() > FORGET_MILLIS);
    ChangeFeed.Read r = engine.changeFeed().since(Long.MAX_VALUE, 1);
    var b = io.catena.metalogger.proto.ListLoggersResponse.newBuilder().setLatestVersion(r.latestVersion())
        .setOldestVersion(r.oldestVersion()).setNowMillis(now);
    loggers.forEach((peer, seen) -> b.addLoggers(io.catena.metalogger.proto.LoggerInfo.newBuilder().setPeer(peer)
        .setVersion(seen.version()).setLastSeenMillis(seen.millis())));
    return b.build();
  }

  /** Releases every open checkpoint (before the engine closes). */
  @Override
  public void close() {
    for (Long id : checkpoints.keySet()) {
      release(id);
    }
  }
}
