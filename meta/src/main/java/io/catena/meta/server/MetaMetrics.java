package io.catena.meta.server;

import com.google.protobuf.Message;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.metrics.Meters;
import io.catena.kv.Keys;
import io.catena.kv.RangeResult;
import io.catena.kv.TransactionRunner;
import io.catena.meta.store.MetaKeys;
import io.catena.rpc.RpcHandler;
import io.catena.rpc.RpcReply;
import io.catena.rpc.ServiceDefinition;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The metadata service's meters: every namespace operation by kind with its latency and outcome
 * ({@code catena_meta_op_seconds}{op,status}: the time a worker spends on it, a KV transaction or a few, without RPC
 * queueing), and two gauges of state kept in the KV store, counted by a periodic scan ({@link #refresh}): open write
 * sessions ({@code catena_meta_write_sessions}) and files waiting for garbage collection
 * ({@code catena_meta_gc_backlog_files}). Thread-safe.
 */
public final class MetaMetrics implements ServiceDefinition.HandlerDecorator {
  private static final int PAGE = 1024;

  private final MeterRegistry registry;
  private final AtomicLong sessions = new AtomicLong();
  private final AtomicLong gcBacklog = new AtomicLong();

  public MetaMetrics(MeterRegistry registry) {
    this.registry = registry;
    Gauge.builder("catena.meta.write.sessions", sessions, AtomicLong::get)
        .description("Open write sessions (file handles open for writing) in the namespace").register(registry);
    Gauge.builder("catena.meta.gc.backlog.files", gcBacklog, AtomicLong::get)
        .description("Removed files whose chunks garbage collection has not removed yet").register(registry);
  }

  /** {@code d} with every handler timed under its method's name. */
  public ServiceDefinition wrap(ServiceDefinition d) {
    return d.decorated(this);
  }

  @Override
  public <Req extends Message, Resp extends Message> RpcHandler<Req, Resp> decorate(
      ServiceDefinition.Binding<Req, Resp> binding) {
    String full = binding.method().fullName();
    String op = full.substring(full.lastIndexOf('/') + 1);
    AtomicReferenceArray<Timer> byErrno = new AtomicReferenceArray<>(Errno.values().length);
    RpcHandler<Req, Resp> inner = binding.handler();
    return call -> {
      long start = System.nanoTime();
      CompletableFuture<RpcReply<Resp>> f;
      try {
        f = inner.handle(call);
      } catch (Exception | Error e) {
        timer(byErrno, op, CatenaException.statusOf(e).code()).record(System.nanoTime() - start,
            TimeUnit.NANOSECONDS);
        throw e;
      }
      // Meta handlers complete synchronously; an asynchronous one is timed to its completion.
      f.whenComplete((r, e) -> timer(byErrno, op, e == null ? Errno.OK : CatenaException.statusOf(e).code())
          .record(System.nanoTime() - start, TimeUnit.NANOSECONDS));
      return f;
    };
  }

  private Timer timer(AtomicReferenceArray<Timer> byErrno, String op, Errno e) {
    Timer t = byErrno.get(e.ordinal());
    if (t == null) {
      t = Meters.latency(registry, "catena.meta.op", "Namespace operations served, by kind and outcome", "op", op,
          "status", Meters.status(e));
      byErrno.compareAndSet(e.ordinal(), null, t);
    }
    return t;
  }

  /** Counts write sessions and GC entries with snapshot reads (no conflicts with anyone's transactions). */
  void refresh(TransactionRunner runner) {
    sessions.set(count(runner, MetaKeys.INOS));
    gcBacklog.set(count(runner, MetaKeys.GCQ));
  }

  private static long count(TransactionRunner runner, byte[] prefix) {
    long n = 0;
    byte[] begin = prefix;
    byte[] end = Keys.strinc(prefix);
    while (true) {
      byte[] from = begin;
      RangeResult page = runner.read(txn -> txn.snapshotGetRange(from, end, PAGE, false));
      n += page.pairs().size();
      if (!page.more() || page.pairs().isEmpty()) {
        return n;
      }
      begin = Keys.keyAfter(page.pairs().getLast().key());
    }
  }
}
