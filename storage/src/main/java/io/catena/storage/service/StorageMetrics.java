package io.catena.storage.service;

import io.catena.common.metrics.Meters;
import io.catena.storage.ChunkStore;
import io.catena.storage.SpaceInfo;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A storage node's meters: per target, operations with latency and errors ({@code catena_storage_op_seconds}
 * {op,target}), bytes ({@code catena_storage_data_bytes_total}), chunk-engine commits and CRC32C mismatches; per
 * target gauges of used/free/capacity bytes and of resync still to do, refreshed by {@link #refresh} on the
 * server's tick rather than computed at scrape time, so a scrape never touches a chunk store. Thread-safe.
 */
public final class StorageMetrics {
  /** What a target does, as the {@code op} tag says it. */
  enum Op {
    WRITE, UPDATE, READ, TRUNCATE, REMOVE;

    final String tag = name().toLowerCase(java.util.Locale.ROOT);
  }

  private final MeterRegistry registry;
  private final ConcurrentHashMap<Long, TargetMeters> targets = new ConcurrentHashMap<>();
  private final MultiGauge used;
  private final MultiGauge free;
  private final MultiGauge capacity;
  private final MultiGauge syncChunks;
  private final MultiGauge syncBytes;
  private volatile int syncsRunning;

  public StorageMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.used = MultiGauge.builder("catena.storage.target.used").baseUnit("bytes")
        .description("Bytes a target's chunks take on its disk").register(registry);
    this.free = MultiGauge.builder("catena.storage.target.free").baseUnit("bytes")
        .description("Bytes a target can still take").register(registry);
    this.capacity = MultiGauge.builder("catena.storage.target.capacity").baseUnit("bytes")
        .description("A target's capacity on its disk").register(registry);
    this.syncChunks = MultiGauge.builder("catena.storage.sync.remaining.chunks")
        .description("Chunks a running resync from this target still has to compare or send").register(registry);
    this.syncBytes = MultiGauge.builder("catena.storage.sync.remaining").baseUnit("bytes")
        .description("Bytes a running resync from this target still has to send (estimated at its start)")
        .register(registry);
    Gauge.builder("catena.storage.syncs.running", this, m -> m.syncsRunning)
        .description("Resyncs this node runs as predecessor").register(registry);
  }

  /** A registry that keeps nothing: for tests and tools that build servers by hand. */
  public static StorageMetrics discarding() {
    return new StorageMetrics(Meters.discarding());
  }

  /** The meters of one target, made on first use. */
  TargetMeters target(long targetId) {
    TargetMeters m = targets.get(targetId);
    return m != null ? m : targets.computeIfAbsent(targetId, TargetMeters::new);
  }

  /** {@code store} counting its commits and CRC32C mismatches under {@code targetId}. */
  ChunkStore wrap(long targetId, ChunkStore store) {
    return new MeteredChunkStore(store, target(targetId));
  }

  /** Updates the gauges from the targets' space and the running resyncs. */
  void refresh(Iterable<Target> all, List<SyncWorker.Progress> syncs) {
    List<MultiGauge.Row<?>> u = new ArrayList<>();
    List<MultiGauge.Row<?>> f = new ArrayList<>();
    List<MultiGauge.Row<?>> c = new ArrayList<>();
    for (Target t : all) {
      SpaceInfo s;
      try {
        s = t.store().space();
      } catch (RuntimeException e) {
        continue; // a target being removed
      }
      Tags tags = Tags.of("target", Long.toString(t.targetId()), "chain", Long.toString(t.chainId()), "disk",
          Integer.toString(t.diskIndex()));
      u.add(MultiGauge.Row.of(tags, s.used()));
      f.add(MultiGauge.Row.of(tags, s.free()));
      c.add(MultiGauge.Row.of(tags, s.capacity()));
    }
    used.register(u, true);
    free.register(f, true);
    capacity.register(c, true);
    List<MultiGauge.Row<?>> sc = new ArrayList<>();
    List<MultiGauge.Row<?>> sb = new ArrayList<>();
    for (SyncWorker.Progress p : syncs) {
      Tags tags = Tags.of("target", Long.toString(p.from()), "successor", Long.toString(p.successor()));
      sc.add(MultiGauge.Row.of(tags, p.chunksLeft()));
      sb.add(MultiGauge.Row.of(tags, p.bytesLeft()));
    }
    syncChunks.register(sc, true);
    syncBytes.register(sb, true);
    syncsRunning = syncs.size();
  }

  /** One target's meters. Thread-safe (meters are). */
  final class TargetMeters {
    private final String target;
    private final Timer[] latency = new Timer[Op.values().length];
    private final Counter[] errors = new Counter[Op.values().length];
    private final Counter readBytes;
    private final Counter writeBytes;
    private final Counter updateBytes;
    final Counter commits;
    final Counter crcFailures;

    private TargetMeters(long targetId) {
      this.target = Long.toString(targetId);
      for (Op op : Op.values()) {
        latency[op.ordinal()] = Meters.latency(registry, "catena.storage.op",
            "Chunk operations a target served, by kind (write: as chain head, update: as successor)", "op", op.tag,
            "target", target);
        errors[op.ordinal()] = Counter.builder("catena.storage.op.errors").tags("op", op.tag, "target", target)
            .description("Chunk operations that failed").register(registry);
      }
      readBytes = bytes("read");
      writeBytes = bytes("write");
      updateBytes = bytes("update");
      commits = Counter.builder("catena.storage.chunk.commits").tag("target", target)
          .description("Chunk versions the chunk engine committed").register(registry);
      crcFailures = Counter.builder("catena.storage.crc.failures").tag("target", target)
          .description("Payloads refused because their CRC32C did not match").register(registry);
    }

    private Counter bytes(String op) {
      return Counter.builder("catena.storage.data").baseUnit("bytes").tags("op", op, "target", target)
          .description("Chunk bytes read, written as head, or received as successor").register(registry);
    }

    /** One operation that started at {@code startNanos} ({@link System#nanoTime}). */
    void record(Op op, long startNanos, long bytes, boolean ok) {
      latency[op.ordinal()].record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
      if (!ok) {
        errors[op.ordinal()].increment();
        return;
      }
      if (bytes > 0) {
        switch (op) {
          case READ -> readBytes.increment(bytes);
          case WRITE -> writeBytes.increment(bytes);
          case UPDATE -> updateBytes.increment(bytes);
          default -> { }
        }
      }
    }
  }
}
