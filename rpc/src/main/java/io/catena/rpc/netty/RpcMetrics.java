package io.catena.rpc.netty;

import io.catena.common.Errno;
import io.catena.common.metrics.Meters;
import io.catena.rpc.MethodDescriptor;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Calls, latency histograms and bytes per method of one side of the RPC layer: {@code catena_rpc_server_seconds}
 * or {@code catena_rpc_client_seconds} {service, method, status}, and {@code catena_rpc_<side>_sent_bytes_total} /
 * {@code _received_bytes_total} {service, method}. Meters are looked up once per method and status and then only
 * recorded (a registry lookup per call would cost more than the call's bookkeeping). Thread-safe.
 */
final class RpcMetrics {
  private final MeterRegistry registry;
  private final String side;
  private final ConcurrentHashMap<Integer, Method> methods = new ConcurrentHashMap<>();

  RpcMetrics(MeterRegistry registry, String side) {
    this.registry = registry;
    this.side = side;
  }

  Method of(MethodDescriptor<?, ?> m) {
    Method found = methods.get(m.key());
    return found != null ? found : methods.computeIfAbsent(m.key(), k -> new Method(m));
  }

  /** The meters of one method. */
  final class Method {
    private final String service;
    private final String method;
    private final AtomicReferenceArray<Timer> byErrno = new AtomicReferenceArray<>(Errno.values().length);
    private final Counter sent;
    private final Counter received;

    private Method(MethodDescriptor<?, ?> m) {
      String full = m.fullName();
      int slash = full.lastIndexOf('/');
      String svc = slash < 0 ? "unknown" : full.substring(0, slash);
      this.service = svc.substring(svc.lastIndexOf('.') + 1).toLowerCase(java.util.Locale.ROOT);
      this.method = full.substring(slash + 1);
      this.sent = Counter.builder("catena.rpc." + side + ".sent").baseUnit("bytes")
          .description("Frame bytes sent, attachments included").tags("service", service, "method", method)
          .register(registry);
      this.received = Counter.builder("catena.rpc." + side + ".received").baseUnit("bytes")
          .description("Frame bytes received, attachments included").tags("service", service, "method", method)
          .register(registry);
    }

    /** One finished call: {@code errno} null or OK when it succeeded. */
    void record(long startNanos, Errno errno, long bytesSent, long bytesReceived) {
      timer(errno == null ? Errno.OK : errno).record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
      if (bytesSent > 0) {
        sent.increment(bytesSent);
      }
      if (bytesReceived > 0) {
        received.increment(bytesReceived);
      }
    }

    private Timer timer(Errno e) {
      Timer t = byErrno.get(e.ordinal());
      if (t == null) {
        t = Meters.latency(registry, "catena.rpc." + side, "RPC calls by method and outcome, " + side + " side",
            "service", service, "method", method, "status", Meters.status(e));
        byErrno.compareAndSet(e.ordinal(), null, t);
      }
      return t;
    }
  }
}
