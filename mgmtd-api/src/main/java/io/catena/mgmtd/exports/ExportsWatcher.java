package io.catena.mgmtd.exports;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.net.Address;
import io.catena.mgmtd.exports.proto.GetExportsReply;
import io.catena.mgmtd.exports.proto.GetExportsRequest;
import io.catena.rpc.CallOptions;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps an {@link ExportGuard} in step with the rules mgmtd serves: asks every {@code exports.refresh_interval}
 * with the version it holds, the first time before {@link #start} returns. Any mgmtd answers: the rules are each
 * mgmtd's own file, not a primary's state. While mgmtd cannot be reached the last rules stay in force.
 * Thread-safe: polls run one at a time (the starting thread, then one scheduler thread); close stops them.
 */
public final class ExportsWatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ExportsWatcher.class);
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(3);

  private final RpcClient rpc;
  private final Supplier<List<Address>> mgmtds;
  private final ExportGuard guard;
  private final ScheduledExecutorService timer;
  private int next;
  private boolean warned;

  private ExportsWatcher(RpcClient rpc, Supplier<List<Address>> mgmtds, ExportGuard guard) {
    this.rpc = rpc;
    this.mgmtds = mgmtds;
    this.guard = guard;
    this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("exports-watcher")
        .factory());
  }

  /** Fetches once now (so a server starts with the rules when mgmtd answers), then every {@code interval}. */
  public static ExportsWatcher start(RpcClient rpc, Supplier<List<Address>> mgmtds, ExportGuard guard,
      Duration interval) {
    ExportsWatcher w = new ExportsWatcher(rpc, mgmtds, guard);
    w.poll();
    w.timer.scheduleWithFixedDelay(w::poll, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    return w;
  }

  private void poll() {
    List<Address> all = mgmtds.get();
    CatenaException last = null;
    for (int i = 0; i < all.size(); i++) {
      Address a = all.get((next + i) % all.size());
      try {
        GetExportsReply r = fetch(rpc, a, guard.known() ? guard.version() : -1);
        next = (next + i) % all.size();
        install(r);
        warned = false;
        return;
      } catch (CatenaException e) {
        if (e.status().code() == Errno.ENOSYS) {
          install(GetExportsReply.newBuilder().setConfigured(false).build()); // an mgmtd from before export rules
          return;
        }
        last = e;
      } catch (RuntimeException e) {
        LOG.error("cannot apply the export rules from mgmtd {}; the previous rules stay", a, e);
        return;
      }
    }
    if (last != null && !warned) {
      warned = true;
      if (guard.known()) {
        LOG.warn("cannot fetch the export rules from mgmtd ({}); the previous rules stay in force", last.status());
      } else {
        // Usual for a moment at start (mgmtd not primary yet, so it cannot check our token): retried every interval.
        LOG.info("export rules not fetched yet from mgmtd ({}); client calls wait (EAGAIN) until they are",
            last.status());
      }
    }
  }

  private void install(GetExportsReply r) {
    if (r.getUnchanged()) {
      return;
    }
    if (!r.getConfigured()) {
      if (!guard.known() || guard.version() != 0) {
        LOG.info("no export rules configured on mgmtd: every authenticated client may mount read-write");
      }
      guard.update(Optional.empty());
      return;
    }
    ExportRules rules = ExportRules.parse(r.getText());
    guard.update(Optional.of(rules));
    LOG.info("export rules version {} from {} in force: {} rule(s)", Long.toHexString(rules.version()),
        r.getSource(), rules.rules().size());
  }

  /** One ask: the reply for a caller holding {@code knownVersion} (-1: nothing; 0: "no rules"). */
  public static GetExportsReply fetch(RpcClient rpc, Address mgmtd, long knownVersion) {
    var f = rpc.call(mgmtd, ExportsRpc.GET, GetExportsRequest.newBuilder().setKnownVersion(knownVersion).build(),
        null, CallOptions.timeout(CALL_TIMEOUT));
    try (RpcResponse<GetExportsReply> resp = f.get(CALL_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS)) {
      return resp.message();
    } catch (ExecutionException e) {
      throw new CatenaException(CatenaException.statusOf(e.getCause()), e.getCause());
    } catch (TimeoutException e) {
      f.cancel(true);
      throw CatenaException.retryable(Errno.ETIMEDOUT, "mgmtd at %s did not answer within %s", mgmtd, CALL_TIMEOUT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CatenaException.of(Errno.EINTR, "interrupted");
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
