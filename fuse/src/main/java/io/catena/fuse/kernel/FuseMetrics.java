package io.catena.fuse.kernel;

import io.catena.common.metrics.Meters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Kernel requests a mount served: {@code catena_fuse_op_seconds}{op} (every request, answered with data or an
 * error) and {@code catena_fuse_op_errors_total}{op,errno} (the errno the application saw). Meters are made on an
 * opcode's first request and then only recorded: a reader thread pays an array read and a histogram record.
 * Thread-safe.
 */
public final class FuseMetrics {
  private static final int MAX_OPCODE = 64;

  private final MeterRegistry registry;
  private final AtomicReferenceArray<Timer> byOpcode = new AtomicReferenceArray<>(MAX_OPCODE + 1);
  private final ConcurrentHashMap<Long, Counter> errors = new ConcurrentHashMap<>();

  public FuseMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Counts nothing: for sessions started outside a mount process (tests, the FUSE benchmark). */
  public static FuseMetrics discarding() {
    return new FuseMetrics(Meters.discarding());
  }

  /** One answered request of {@code opcode} that started at {@code startNanos}; {@code errno} 0 when it succeeded. */
  void record(int opcode, long startNanos, int errno) {
    int slot = opcode >= 0 && opcode < MAX_OPCODE ? opcode : MAX_OPCODE;
    Timer t = byOpcode.get(slot);
    if (t == null) {
      t = Meters.latency(registry, "catena.fuse.op", "Kernel FUSE requests served, by opcode", "op", op(opcode));
      byOpcode.compareAndSet(slot, null, t);
    }
    t.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    if (errno != 0) {
      errors.computeIfAbsent(((long) slot << 32) | errno, k -> Counter.builder("catena.fuse.op.errors")
          .tags("op", op(opcode), "errno", io.catena.common.Errno.fromCode(errno).name())
          .description("Kernel FUSE requests answered with an error").register(registry)).increment();
    }
  }

  private static String op(int opcode) {
    return opcode >= 0 && opcode < MAX_OPCODE ? FuseKernel.opName(opcode).toLowerCase(Locale.ROOT) : "other";
  }
}
