package io.catena.bench;

import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.common.config.DataSize;
import io.catena.common.net.Address;
import io.catena.rpc.Attachment;
import io.catena.rpc.BuiltinService;
import io.catena.rpc.CallOptions;
import io.catena.rpc.MethodDescriptor;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcConfig;
import io.catena.rpc.RpcReply;
import io.catena.rpc.RpcServer;
import io.catena.rpc.ServiceDefinition;
import io.catena.rpc.proto.PingRequest;
import io.catena.rpc.proto.PingResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code catena bench rpc}: small-message round trips and attachment throughput over loopback, server and client
 * in this process. Callers are closed loops: each issues its next call when the previous one completes.
 */
@Command(name = "rpc", mixinStandardHelpOptions = true,
    description = "RPC benchmark on loopback: small round trips/s for each caller count, then attachment"
        + " throughput (upload and download) on 1 and on N connections.")
public final class RpcBench implements Callable<Integer> {

  @Option(names = "--seconds", defaultValue = "5",
      description = "Measured seconds per phase (default ${DEFAULT-VALUE}).")
  int seconds;

  @Option(names = "--warmup", defaultValue = "1",
      description = "Warm-up seconds before each phase (default ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--callers", defaultValue = "1,32", split = ",",
      description = "Concurrent callers for the small-message phase (default ${DEFAULT-VALUE}; 0 skips it).")
  int[] callers;

  @Option(names = "--connections", defaultValue = "1,4", split = ",",
      description = "Connections for the attachment phases (default ${DEFAULT-VALUE}).")
  int[] connections;

  @Option(names = "--attachment-size", defaultValue = "1MiB",
      description = "Attachment bytes per call (default ${DEFAULT-VALUE}).")
  String attachmentSize;

  @Option(names = "--window", defaultValue = "4",
      description = "Outstanding attachment calls per connection (default ${DEFAULT-VALUE}).")
  int window;

  @Option(names = "--transport", defaultValue = "auto", description = "auto, nio, epoll or io_uring.")
  String transport;

  @Option(names = "--io-threads", defaultValue = "0", description = "rpc.io_threads for server and client.")
  int ioThreads;

  @Option(names = "--direction", defaultValue = "both", description = "upload, download or both.")
  String direction;

  private static final int BENCH_SERVICE = 60001;
  private static final MethodDescriptor<PingRequest, PingResponse> DOWNLOAD = MethodDescriptor.of(BENCH_SERVICE, 1,
      "catena.bench.Rpc/Download", PingRequest.getDefaultInstance(), PingResponse.getDefaultInstance());

  public static void main(String[] args) {
    System.exit(new CommandLine(new RpcBench()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    int attBytes = DataSize.parse(attachmentSize).toIntBytes();
    ByteBuf payload = Unpooled.unreleasableBuffer(
        PooledByteBufAllocator.DEFAULT.directBuffer(attBytes).writeZero(attBytes));
    Map<String, String> base = new HashMap<>();
    base.put(RpcConfig.TRANSPORT.name(), transport);
    base.put(RpcConfig.IO_THREADS.name(), String.valueOf(ioThreads));
    Config serverConfig = config(base);
    ServiceDefinition bench = ServiceDefinition.builder("bench", BENCH_SERVICE)
        .inlineMethod(DOWNLOAD, call -> CompletableFuture.completedFuture(
            RpcReply.of(PingResponse.getDefaultInstance(), Attachment.of(payload.duplicate()))))
        .build();
    List<String[]> rows = new ArrayList<>();
    try (RpcServer server = Rpc.server(serverConfig, Address.tcp("127.0.0.1", 0), List.of(bench))) {
      System.out.printf(Locale.ROOT, "catena bench rpc: server %s, transport %s, %d s per phase, %d cores%n",
          server.boundAddress(), server.transportName(), seconds, Runtime.getRuntime().availableProcessors());
      for (int c : callers) {
        if (c <= 0) {
          continue;
        }
        rows.add(smallRoundTrips(server.boundAddress(), base, c));
      }
      for (int conns : connections) {
        if (!direction.equals("download")) {
          rows.add(attachments(server.boundAddress(), base, conns, attBytes, payload, true));
        }
        if (!direction.equals("upload")) {
          rows.add(attachments(server.boundAddress(), base, conns, attBytes, payload, false));
        }
      }
      server.shutdown(Duration.ofSeconds(1)).get(10, TimeUnit.SECONDS);
    }
    System.out.println();
    String fmt = "%-34s %12s %8s %10s %10s %7s %12s%n";
    System.out.printf(Locale.ROOT, fmt, "phase", "calls/s", "GB/s", "p50 us", "p99 us", "errors", "cpu us/call");
    for (String[] r : rows) {
      System.out.printf(Locale.ROOT, fmt, (Object[]) r);
    }
    return 0;
  }

  private static Config config(Map<String, String> overrides) {
    return Config.defaults(ConfigSchema.fromHolders(RpcConfig.class)).withUpdates(overrides, "bench", false);
  }

  private String[] smallRoundTrips(Address addr, Map<String, String> base, int callerCount) throws Exception {
    try (RpcClient client = Rpc.client(config(base))) {
      PingRequest req = PingRequest.newBuilder().setPayload(com.google.protobuf.ByteString.copyFromUtf8("ping"))
          .build();
      Run run = new Run(callerCount, (i, done) -> client.call(addr, BuiltinService.PING, req, null,
          CallOptions.DEFAULT), 0);
      Result r = run.measure();
      return row(callerCount + " caller(s), small ping", r);
    }
  }

  private String[] attachments(Address addr, Map<String, String> base, int conns, int attBytes, ByteBuf payload,
      boolean upload) throws Exception {
    Map<String, String> m = new HashMap<>(base);
    m.put(RpcConfig.CONNECTIONS_PER_ADDRESS.name(), String.valueOf(conns));
    try (RpcClient client = Rpc.client(config(m))) {
      PingRequest req = PingRequest.getDefaultInstance();
      Run run = new Run(conns * window, (i, done) -> upload
          ? client.call(addr, BuiltinService.DISCARD, req, Attachment.of(payload.duplicate()), CallOptions.DEFAULT)
          : client.call(addr, DOWNLOAD, req, null, CallOptions.DEFAULT), attBytes);
      Result r = run.measure();
      return row((upload ? "upload " : "download ") + DataSize.ofBytes(attBytes) + ", " + conns + " conn(s)", r);
    }
  }

  private static String[] row(String name, Result r) {
    return new String[] {name, String.format(Locale.ROOT, "%,.0f", r.callsPerSecond),
        r.bytesPerSecond == 0 ? "-" : String.format(Locale.ROOT, "%.2f", r.bytesPerSecond / 1e9),
        String.format(Locale.ROOT, "%.1f", r.p50Micros), String.format(Locale.ROOT, "%.1f", r.p99Micros),
        String.valueOf(r.errors), String.format(Locale.ROOT, "%.1f", r.cpuMicrosPerCall)};
  }

  private record Result(double callsPerSecond, double bytesPerSecond, double p50Micros, double p99Micros,
      long errors, double cpuMicrosPerCall) {}

  /** CPU time of this whole process (server and client), so cost per call can be compared on a busy machine. */
  private static long processCpuNanos() {
    return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : 0;
  }

  @FunctionalInterface
  private interface Issue {
    CompletableFuture<? extends io.catena.rpc.RpcResponse<?>> issue(int caller, boolean done);
  }

  /** Closed-loop callers sharing counters; latencies go to a log-linear histogram per caller. Thread-safe. */
  private final class Run {
    private final int callers;
    private final Issue issue;
    private final long bytesPerCall;
    private final AtomicLong calls = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final Histogram[] histograms;
    private volatile boolean recording;
    private volatile boolean stop;

    Run(int callers, Issue issue, long bytesPerCall) {
      this.callers = callers;
      this.issue = issue;
      this.bytesPerCall = bytesPerCall;
      this.histograms = new Histogram[callers];
      for (int i = 0; i < callers; i++) {
        histograms[i] = new Histogram();
      }
    }

    Result measure() throws Exception {
      List<CompletableFuture<Void>> finished = new ArrayList<>();
      for (int i = 0; i < callers; i++) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        finished.add(f);
        next(i, f);
      }
      Thread.sleep(warmup * 1000L);
      recording = true;
      long c0 = calls.get();
      long cpu0 = processCpuNanos();
      long t0 = System.nanoTime();
      Thread.sleep(seconds * 1000L);
      long c1 = calls.get();
      long t1 = System.nanoTime();
      long cpu1 = processCpuNanos();
      recording = false;
      stop = true;
      CompletableFuture.allOf(finished.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
      Histogram all = new Histogram();
      for (Histogram h : histograms) {
        all.add(h);
      }
      double secs = (t1 - t0) / 1e9;
      double cps = (c1 - c0) / secs;
      return new Result(cps, cps * bytesPerCall, all.percentile(0.50) / 1e3, all.percentile(0.99) / 1e3,
          errors.get(), c1 == c0 ? 0 : (cpu1 - cpu0) / 1e3 / (c1 - c0));
    }

    private void next(int caller, CompletableFuture<Void> finished) {
      if (stop) {
        finished.complete(null);
        return;
      }
      long start = System.nanoTime();
      issue.issue(caller, false).whenComplete((resp, err) -> {
        if (resp != null) {
          resp.close();
        }
        if (err != null) {
          errors.incrementAndGet();
          if (errors.get() > 1000) {
            stop = true;
          }
        } else {
          calls.incrementAndGet();
          if (recording) {
            histograms[caller].record(System.nanoTime() - start);
          }
        }
        next(caller, finished);
      });
    }
  }

  /** Log-linear latency buckets (16 sub-buckets per power of two of nanoseconds). Not thread-safe. */
  private static final class Histogram {
    private final long[] counts = new long[64 * 16];
    private long total;

    void record(long nanos) {
      long v = Math.max(1, nanos);
      int exp = 63 - Long.numberOfLeadingZeros(v);
      int sub = exp < 4 ? 0 : (int) ((v >>> (exp - 4)) & 15);
      counts[exp * 16 + sub]++;
      total++;
    }

    void add(Histogram o) {
      for (int i = 0; i < counts.length; i++) {
        counts[i] += o.counts[i];
      }
      total += o.total;
    }

    double percentile(double p) {
      if (total == 0) {
        return 0;
      }
      long want = (long) Math.ceil(p * total);
      long seen = 0;
      for (int i = 0; i < counts.length; i++) {
        seen += counts[i];
        if (seen >= want) {
          int exp = i / 16;
          int sub = i % 16;
          return exp < 4 ? (1L << exp) : (double) ((16L + sub) << (exp - 4));
        }
      }
      return 0;
    }
  }
}
