package io.catena.storage.client;

import com.google.protobuf.Message;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Status;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChunkId;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.cluster.RoutingSource;
import io.catena.common.config.Config;
import io.catena.common.net.Address;
import io.catena.common.retry.Retrier;
import io.catena.common.retry.RetryPolicy;
import io.catena.common.retry.Sleeper;
import io.catena.rpc.Attachment;
import io.catena.rpc.CallOptions;
import io.catena.rpc.MethodDescriptor;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcResponse;
import io.catena.storage.StorageRpc;
import io.catena.storage.proto.CreateTargetReq;
import io.catena.storage.proto.QueryLastChunkReq;
import io.catena.storage.proto.QueryLastChunkResp;
import io.catena.storage.proto.ReadItem;
import io.catena.storage.proto.ReadReq;
import io.catena.storage.proto.ReadResp;
import io.catena.storage.proto.RemoveRangeReq;
import io.catena.storage.proto.RequestTag;
import io.catena.storage.proto.TruncateReq;
import io.catena.storage.proto.WriteReq;
import io.catena.storage.proto.WriteResp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import java.util.zip.CRC32C;

/**
 * Chunk I/O against storage chains: writes go to the chain's head, reads to a random serving replica; retryable
 * failures (stale routing, a failed replica, a chain change) are retried with fresh routing until
 * {@code storage.client_timeout}. Mutations carry a (client, channel, sequence) tag so a retry of a write that did
 * happen returns the first result instead of applying it twice. The caller computes each chunk's chain from the
 * file layout. The clock that measures the timeout and the generator that picks replicas and the client id are
 * injected, so a test can run out a timeout by moving a manual clock. Thread-safe; every method returns a future
 * (completed on an internal virtual thread or, for a read answered at the first attempt, on the RPC thread).
 */
public final class StorageClient implements AutoCloseable {

  /** An acknowledged mutation: the version committed and the whole chunk's length and CRC32C after it. */
  public record WriteResult(long version, int chunkLength, int chunkCrc32c) {}

  /**
   * Bytes read from a chunk's committed version. The caller owns {@code data} and must close it (closing this
   * record does).
   *
   * @param chunkCrc32c CRC32C of the whole committed chunk (not just {@code data})
   */
  public record ReadData(ChunkBytes data, long version, int chunkLength, int chunkCrc32c) implements AutoCloseable {
    @Override
    public void close() {
      data.close();
    }
  }

  /** One item of a batched read. */
  public record ReadRange(long chainId, ChunkId chunk, long offset, int length) {}

  /** The last chunk with data in a range: its id, length and version. */
  public record LastChunk(ChunkId chunk, int length, long version) {}

  private record Channel(long id, AtomicLong seq) {}

  /** How many reads, or bytes, of a batch one node gets before the next group picks a node again. */
  private static final int BATCH_ITEMS = 8;
  private static final int BATCH_BYTES = 1 << 20;

  private final RoutingSource routing;
  private final RpcClient rpc;
  private final Duration timeout;
  private final Duration retryWait;
  private final RandomGenerator random;
  private final Retrier retrier;
  private final long clientId;
  private final ConcurrentLinkedQueue<Channel> channels = new ConcurrentLinkedQueue<>();
  private final AtomicLong nextChannel = new AtomicLong(1);
  private final ExecutorService executor =
      Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("storage-client-", 0).factory());

  /** The system clock and an unseeded generator. */
  public StorageClient(RoutingSource routing, RpcClient rpc, Config config) {
    this(routing, rpc, config, Clock.systemUTC(), RandomGenerator.of("L64X128MixRandom"));
  }

  /**
   * @param clock  measures {@code storage.client_timeout}
   * @param random picks the client id and the replica each read goes to; used under its own lock
   */
  public StorageClient(RoutingSource routing, RpcClient rpc, Config config, Clock clock, RandomGenerator random) {
    this.routing = routing;
    this.rpc = rpc;
    this.timeout = config.get(StorageClientConfig.CLIENT_TIMEOUT);
    this.retryWait = config.get(StorageClientConfig.RETRY_WAIT);
    this.random = random;
    // Between attempts the client waits for newer routing, not for a backoff: the policy never pauses.
    this.retrier = new Retrier(RetryPolicy.untilDeadline(Duration.ZERO, Duration.ZERO, timeout), clock, random,
        Sleeper.system());
    long id;
    synchronized (random) {
      do {
        id = random.nextLong();
      } while (id == 0);
    }
    this.clientId = id;
  }

  public long clientId() {
    return clientId;
  }

  /**
   * Writes {@code data}'s readable bytes at {@code offset} of the chunk. The caller keeps ownership of
   * {@code data} and must not modify or release it before the future completes.
   */
  public CompletableFuture<WriteResult> write(long chainId, ChunkId chunk, int chunkSize, long offset,
      ByteBuf data) {
    CRC32C c = new CRC32C();
    for (java.nio.ByteBuffer b : data.nioBuffers()) {
      c.update(b);
    }
    int crc = (int) c.getValue();
    return mutate(chainId, tag -> (ch, head) -> {
      WriteReq req = WriteReq.newBuilder().setTargetId(head).setChainId(chainId).setChainVersion(ch.version())
          .setChunk(StorageRpc.toProto(chunk)).setChunkSize(chunkSize).setOffset(offset).setCrc32C(crc)
          .setTag(tag).build();
      return call(head, StorageRpc.WRITE, req, Attachment.of(data.retainedSlice()));
    });
  }

  /** Sets the chunk's length (cutting or zero-extending it). */
  public CompletableFuture<WriteResult> truncate(long chainId, ChunkId chunk, int chunkSize, long length) {
    return mutate(chainId, tag -> (ch, head) -> call(head, StorageRpc.TRUNCATE, TruncateReq.newBuilder()
        .setTargetId(head).setChainId(chainId).setChainVersion(ch.version()).setChunk(StorageRpc.toProto(chunk))
        .setChunkSize(chunkSize).setLength(length).setTag(tag).build(), null));
  }

  /** Removes every chunk of the chain in [begin, end); returns how many the head removed. */
  public CompletableFuture<Long> removeRange(long chainId, ChunkId begin, ChunkId end) {
    return async(() -> retrying(chainId, true, (ch, head) -> {
      try (RpcResponse<?> r = call(head, StorageRpc.REMOVE_RANGE, RemoveRangeReq.newBuilder().setTargetId(head)
          .setChainId(chainId).setChainVersion(ch.version()).setBegin(StorageRpc.toProto(begin))
          .setEnd(StorageRpc.toProto(end)).build(), null)) {
        return ((io.catena.storage.proto.RemoveRangeResp) r.message()).getRemoved();
      }
    }));
  }

  /** The last chunk with a committed version in [begin, end), asked of a serving replica. */
  public CompletableFuture<Optional<LastChunk>> queryLastChunk(long chainId, ChunkId begin, ChunkId end) {
    return async(() -> retrying(chainId, false, (ch, target) -> {
      try (RpcResponse<QueryLastChunkResp> r = call(target, StorageRpc.QUERY_LAST_CHUNK,
          QueryLastChunkReq.newBuilder().setTargetId(target).setChainId(chainId).setChainVersion(ch.version())
              .setBegin(StorageRpc.toProto(begin)).setEnd(StorageRpc.toProto(end)).build(), null)) {
        QueryLastChunkResp m = r.message();
        return m.getFound()
            ? Optional.of(new LastChunk(StorageRpc.fromProto(m.getChunk()), m.getLength(), m.getVersion()))
            : Optional.<LastChunk>empty();
      }
    }));
  }

  /**
   * Reads up to {@code length} bytes at {@code offset} of the chunk's committed version from a serving replica. The
   * first attempt is sent from the calling thread and completes on the RPC thread that receives the answer; only a
   * retryable failure moves the read to the retry loop on a virtual thread. (Two thread hand-offs per read were most
   * of a small read's CPU.)
   */
  public CompletableFuture<ReadData> read(long chainId, ChunkId chunk, long offset, int length) {
    ReadRange rr = new ReadRange(chainId, chunk, offset, length);
    RoutingInfo r = routing.current();
    Optional<ChainInfo> ch = r.chain(chainId);
    Optional<Long> target = ch.isEmpty() ? Optional.empty() : pickReplica(r, chainId);
    Optional<Address> addr = target.flatMap(t -> addressOf(r, t));
    if (addr.isEmpty()) {
      return async(() -> readOne(rr));
    }
    return rpc.call(addr.get(), StorageRpc.READ, readRequest(rr, ch.get(), target.get()), null,
        CallOptions.timeout(timeout)).thenApply(StorageClient::readData).exceptionallyCompose(err -> {
          Throwable cause = err instanceof java.util.concurrent.CompletionException && err.getCause() != null
              ? err.getCause() : err;
          return CatenaException.statusOf(cause).retryable() ? async(() -> readOne(rr))
              : CompletableFuture.failedFuture(cause);
        });
  }

  private static Optional<Address> addressOf(RoutingInfo r, long target) {
    return r.nodeOfTarget(target).map(n -> Address.parse(n.address()));
  }

  /**
   * Reads many ranges: one request per storage node holding a chosen replica, results in input order. An item
   * whose replica failed with a retryable error is read again on its own; any other failure fails the batch.
   */
  public CompletableFuture<List<ReadData>> batchRead(List<ReadRange> ranges) {
    List<CompletableFuture<ReadData>> each = batchReadEach(ranges);
    return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).handle((v, err) -> {
      if (err != null) {
        for (CompletableFuture<ReadData> f : each) {
          f.thenAccept(ReadData::close);
        }
        throw err instanceof java.util.concurrent.CompletionException ce ? ce
            : new java.util.concurrent.CompletionException(err);
      }
      return each.stream().map(CompletableFuture::join).toList();
    });
  }

  /**
   * Reads many ranges with one request per storage node holding a chosen replica; each item completes on its own,
   * in whatever order the nodes answer. An item whose replica or node failed with a retryable error (a node that
   * died, stale routing) is read again alone, from any serving replica, until {@code storage.client_timeout}; any
   * other error (ENOENT for a chunk with no committed version) fails that item only. Never throws.
   */
  public List<CompletableFuture<ReadData>> batchReadEach(List<ReadRange> ranges) {
    List<CompletableFuture<ReadData>> out = new ArrayList<>(ranges.size());
    for (int i = 0; i < ranges.size(); i++) {
      out.add(new CompletableFuture<>());
    }
    try {
      RoutingInfo r = routing.current();
      Map<Address, List<Integer>> byNode = new LinkedHashMap<>();
      Map<Integer, Long> chosen = new java.util.HashMap<>();
      // Up to BATCH_ITEMS reads (BATCH_BYTES) go to one node where its replicas allow: a queue of small reads then
      // costs a few round trips instead of one per read, while several requests still keep cold disks busy in
      // parallel (a node reads one request's items in turn) and large reads spread over the nodes. Picking each
      // group's node at random spreads reads over the replicas.
      Map<Long, long[]> perNode = new java.util.HashMap<>(); // node -> {reads, bytes} given to it
      long preferredNode = -1;
      for (int i = 0; i < ranges.size(); i++) {
        long[] given = perNode.get(preferredNode);
        if (preferredNode < 0 || given != null && (given[0] >= BATCH_ITEMS || given[1] >= BATCH_BYTES)) {
          preferredNode = pickReplica(r, ranges.get(i).chainId()).flatMap(r::target).map(x -> x.nodeId())
              .orElse(-1L);
        }
        Optional<Long> t = pickReplicaOn(r, ranges.get(i).chainId(), preferredNode);
        int len = ranges.get(i).length();
        t.flatMap(r::target).ifPresent(x -> {
          long[] g = perNode.computeIfAbsent(x.nodeId(), k -> new long[2]);
          g[0]++;
          g[1] += len;
        });
        Optional<Address> a = t.flatMap(target -> addressOf(r, target));
        if (a.isPresent()) {
          chosen.put(i, t.get());
          byNode.computeIfAbsent(a.get(), k -> new ArrayList<>()).add(i);
        } else {
          readAlone(ranges, i, out); // waits for routing to name a serving replica
        }
      }
      for (Map.Entry<Address, List<Integer>> e : byNode.entrySet()) {
        List<Integer> items = e.getValue();
        ReadReq.Builder b = ReadReq.newBuilder();
        for (int i : items) {
          ReadRange rr = ranges.get(i);
          long ver = r.chain(rr.chainId()).map(ChainInfo::version).orElse(0L);
          b.addItems(ReadItem.newBuilder().setTargetId(chosen.get(i)).setChainId(rr.chainId()).setChainVersion(ver)
              .setChunk(StorageRpc.toProto(rr.chunk())).setOffset(rr.offset()).setLength(rr.length()));
        }
        rpc.call(e.getKey(), StorageRpc.READ, b.build(), null, CallOptions.timeout(timeout))
            .whenComplete((resp, err) -> {
              if (err != null) {
                items.forEach(i -> readAlone(ranges, i, out));
              } else {
                deliver(resp, ranges, items, out);
              }
            });
      }
    } catch (RuntimeException e) {
      out.forEach(f -> f.completeExceptionally(e));
    }
    return out;
  }

  private void deliver(RpcResponse<ReadResp> resp, List<ReadRange> ranges, List<Integer> items,
      List<CompletableFuture<ReadData>> out) {
    try (resp) {
      ByteBuf att = resp.attachment().orElse(Unpooled.EMPTY_BUFFER);
      int pos = att.readerIndex();
      List<io.catena.storage.proto.ReadResult> results = resp.message().getResultsList();
      for (int k = 0; k < items.size(); k++) {
        int i = items.get(k);
        io.catena.storage.proto.ReadResult x = k < results.size() ? results.get(k) : null;
        if (x == null || x.getErrno() != 0 && x.getRetryable()) {
          readAlone(ranges, i, out);
        } else if (x.getErrno() != 0) {
          out.get(i).completeExceptionally(new CatenaException(Status.of(Errno.fromCode(x.getErrno()), "%s",
              x.getMessage())));
        } else {
          ReadData d = new ReadData(new ChunkBytes(att.retainedSlice(pos, x.getLength())), x.getVersion(),
              x.getChunkLength(), x.getChunkCrc32C());
          pos += x.getLength();
          if (!out.get(i).complete(d)) {
            d.close();
          }
        }
      }
    } catch (RuntimeException e) {
      out.forEach(f -> f.completeExceptionally(e));
    }
  }

  private void readAlone(List<ReadRange> ranges, int i, List<CompletableFuture<ReadData>> out) {
    read(ranges.get(i).chainId(), ranges.get(i).chunk(), ranges.get(i).offset(), ranges.get(i).length())
        .whenComplete((d, err) -> {
          if (err != null) {
            out.get(i).completeExceptionally(err instanceof java.util.concurrent.CompletionException
                && err.getCause() != null ? err.getCause() : err);
          } else if (!out.get(i).complete(d)) {
            d.close();
          }
        });
  }

  private ReadData readOne(ReadRange rr) {
    return retrying(rr.chainId(), false, (ch, target) -> readData(call(target, StorageRpc.READ,
        readRequest(rr, ch, target), null)));
  }

  private static ReadReq readRequest(ReadRange rr, ChainInfo ch, long target) {
    return ReadReq.newBuilder().addItems(ReadItem.newBuilder().setTargetId(target).setChainId(rr.chainId())
        .setChainVersion(ch.version()).setChunk(StorageRpc.toProto(rr.chunk())).setOffset(rr.offset())
        .setLength(rr.length())).build();
  }

  /** The one item of a read's answer; closes the answer. */
  private static ReadData readData(RpcResponse<ReadResp> answer) {
    try (RpcResponse<ReadResp> resp = answer) {
      io.catena.storage.proto.ReadResult x = resp.message().getResults(0);
      if (x.getErrno() != 0) {
        Errno code = Errno.fromCode(x.getErrno());
        throw new CatenaException(x.getRetryable() ? Status.retryable(code, "%s", x.getMessage())
            : Status.of(code, "%s", x.getMessage()));
      }
      ByteBuf data = resp.takeAttachment();
      return new ReadData(new ChunkBytes(data == null ? Unpooled.EMPTY_BUFFER : data), x.getVersion(),
          x.getChunkLength(), x.getChunkCrc32C());
    }
  }

  /** Creates a target on the storage node at {@code node} (an admin and test helper). */
  public CompletableFuture<Void> createTarget(Address node, long targetId, long chainId, int diskIndex) {
    return rpc.call(node, StorageRpc.CREATE_TARGET, CreateTargetReq.newBuilder().setTargetId(targetId)
        .setChainId(chainId).setDiskIndex(diskIndex).build(), null, CallOptions.timeout(timeout))
        .thenAccept(RpcResponse::close);
  }

  // ------------------------------------------------------------------------------------------------- retries

  private interface Attempt<T> {
    T run(ChainInfo chain, long target);
  }

  private CompletableFuture<WriteResult> mutate(long chainId, Function<RequestTag, Attempt<RpcResponse<?>>> op) {
    return async(() -> {
      Channel chan = channels.poll();
      if (chan == null) {
        chan = new Channel(nextChannel.getAndIncrement(), new AtomicLong());
      }
      try {
        RequestTag tag = RequestTag.newBuilder().setClientId(clientId).setChannel(chan.id())
            .setSeq(chan.seq().incrementAndGet()).build();
        Attempt<RpcResponse<?>> a = op.apply(tag);
        return retrying(chainId, true, (ch, head) -> {
          try (RpcResponse<?> r = a.run(ch, head)) {
            WriteResp w = (WriteResp) r.message();
            return new WriteResult(w.getVersion(), w.getChunkLength(), w.getChunkCrc32C());
          }
        });
      } finally {
        channels.add(chan);
      }
    });
  }

  /**
   * Runs {@code attempt} against the chain's head or a serving replica, retrying retryable failures with fresh
   * routing until {@code storage.client_timeout}; then fails with the retrier's give-up error (retryable ETIMEDOUT
   * naming the last failure).
   */
  private <T> T retrying(long chainId, boolean toHead, Attempt<T> attempt) {
    Retrier.Attempts attempts = retrier.begin();
    RoutingInfo r = routing.current();
    while (true) {
      Optional<ChainInfo> ch = r.chain(chainId);
      Optional<Long> target = ch.isEmpty() ? Optional.empty()
          : toHead ? ch.get().head() : pickReplica(r, chainId);
      CatenaException failure;
      if (target.isPresent()) {
        try {
          return attempt.run(ch.get(), target.get());
        } catch (CatenaException e) {
          if (!e.isRetryable()) {
            throw e;
          }
          failure = e;
        }
      } else {
        failure = CatenaException.retryable(Errno.EAGAIN, "chain %d has no %s in routing v%d", chainId,
            toHead ? "head" : "serving replica", r.version());
      }
      attempts.failedNoPause(failure);
      r = awaitNewer(r.version());
    }
  }

  private RoutingInfo awaitNewer(long seen) {
    RoutingInfo r = routing.refresh(seen);
    if (r.version() > seen) {
      return r;
    }
    CompletableFuture<RoutingInfo> next = new CompletableFuture<>();
    try (AutoCloseable sub = routing.subscribe(next::complete)) {
      r = routing.current();
      if (r.version() > seen) {
        return r;
      }
      return next.get(retryWait.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      return routing.current();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CatenaException.retryable(Errno.EINTR, "interrupted");
    } catch (Exception e) {
      return routing.current();
    }
  }

  /** A serving replica of the chain on node {@code nodeId} if it has one, else a random serving replica. */
  private Optional<Long> pickReplicaOn(RoutingInfo r, long chainId, long nodeId) {
    List<Long> serving = r.chain(chainId).map(c -> c.targetsIn(PublicTargetState.SERVING)).orElse(List.of());
    for (long t : serving) {
      if (r.target(t).map(x -> x.nodeId() == nodeId).orElse(false)) {
        return Optional.of(t);
      }
    }
    return pickReplica(r, chainId);
  }

  private Optional<Long> pickReplica(RoutingInfo r, long chainId) {
    List<Long> serving = r.chain(chainId).map(c -> c.targetsIn(PublicTargetState.SERVING)).orElse(List.of());
    if (serving.isEmpty()) {
      return Optional.empty();
    }
    int i;
    synchronized (random) {
      i = random.nextInt(serving.size());
    }
    return Optional.of(serving.get(i));
  }

  private <Q extends Message, A extends Message> RpcResponse<A> call(long target, MethodDescriptor<Q, A> m, Q req,
      Attachment att) {
    RoutingInfo r = routing.current();
    Optional<Address> addr = addressOf(r, target);
    if (addr.isEmpty()) {
      if (att != null) {
        att.release();
      }
      throw CatenaException.retryable(Errno.EHOSTUNREACH, "no node known for target %d", target);
    }
    try {
      return rpc.call(addr.get(), m, req, att, CallOptions.timeout(timeout)).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CatenaException.retryable(Errno.EINTR, "interrupted");
    } catch (ExecutionException e) {
      throw new CatenaException(CatenaException.statusOf(e.getCause()), e.getCause());
    }
  }

  private <T> CompletableFuture<T> async(Supplier<T> work) {
    return CompletableFuture.supplyAsync(work, executor);
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
