package io.catena.meta.client;

import static io.catena.meta.rpc.MetaWire.str;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Status;
import io.catena.common.config.Config;
import io.catena.common.config.Key;
import io.catena.common.net.Address;
import io.catena.common.retry.Retrier;
import io.catena.common.retry.RetryPolicy;
import io.catena.common.retry.Sleeper;
import io.catena.meta.FileLock;
import io.catena.meta.Inode;
import io.catena.meta.LockRequest;
import io.catena.meta.MetaService;
import io.catena.meta.OpenResult;
import io.catena.meta.QuotaLimits;
import io.catena.meta.QuotaUsage;
import io.catena.meta.ReaddirPage;
import io.catena.meta.RequestId;
import io.catena.meta.SetAttr;
import io.catena.meta.StatFs;
import io.catena.meta.TrashService;
import io.catena.meta.UserInfo;
import io.catena.meta.proto.AccessRequest;
import io.catena.meta.proto.BatchGetattrRequest;
import io.catena.meta.proto.BatchGetattrResponse;
import io.catena.meta.proto.CreateRequest;
import io.catena.meta.proto.GetLockResponse;
import io.catena.meta.proto.GetattrRequest;
import io.catena.meta.proto.GetxattrRequest;
import io.catena.meta.proto.InodeResponse;
import io.catena.meta.proto.LengthHintRequest;
import io.catena.meta.proto.LinkRequest;
import io.catena.meta.proto.ListxattrRequest;
import io.catena.meta.proto.LockCallRequest;
import io.catena.meta.proto.LookupRequest;
import io.catena.meta.proto.MkdirRequest;
import io.catena.meta.proto.MknodRequest;
import io.catena.meta.proto.OpenRequest;
import io.catena.meta.proto.OpenResponse;
import io.catena.meta.proto.QuotaRequest;
import io.catena.meta.proto.ReaddirRequest;
import io.catena.meta.proto.ReadlinkRequest;
import io.catena.meta.proto.RealpathRequest;
import io.catena.meta.proto.RemoveRecursiveRequest;
import io.catena.meta.proto.SnapshotRequest;
import io.catena.meta.proto.SnapshotResponse;
import io.catena.meta.SnapshotResult;
import io.catena.meta.proto.RemoveRequest;
import io.catena.meta.proto.RemovexattrRequest;
import io.catena.meta.proto.RenameRequest;
import io.catena.meta.proto.ReqId;
import io.catena.meta.proto.ResolveRequest;
import io.catena.meta.proto.SetQuotaRequest;
import io.catena.meta.proto.SetattrRequest;
import io.catena.meta.proto.SetxattrRequest;
import io.catena.meta.proto.StatfsRequest;
import io.catena.meta.proto.SymlinkRequest;
import io.catena.meta.proto.SyncRequest;
import io.catena.meta.proto.TouchAtimeRequest;
import io.catena.meta.proto.User;
import io.catena.meta.rpc.MetaMethods;
import io.catena.meta.rpc.MetaWire;
import io.catena.rpc.CallOptions;
import io.catena.rpc.MethodDescriptor;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;

/**
 * {@link MetaService} over RPC: calls one of several meta servers (sticky: the same server until it fails, starting
 * from a random one so clients spread out) and fails over to the next on any retryable error (connection refused or
 * lost, timeout, a server shutting down with ESHUTDOWN, a transaction that kept conflicting), with jittered
 * exponential backoff between attempts, until {@code meta.client.deadline} (and {@code meta.client.max_attempts}, if
 * set) ends them: a mount waits out a control process that restarts. Errors that are not
 * retryable (ENOENT, EEXIST, EACCES...) reach the caller unchanged, errno and message as the server gave them.
 *
 * <p>Retries are safe because every mutation that takes a {@link RequestId} carries one: the caller's, or, when the
 * caller passes null, one the client makes from its own request-id namespace ({@code clientId/<random nonce>}, so a
 * restarted client with the same id never collides with the answers of its former life) and a sequence counter. A
 * retry reuses the id, so a create whose reply was lost (committed on server A, A died) returns the first answer from
 * server B instead of EEXIST. Calls without a request id are safe to repeat as they are (reads, setattr, sync, close,
 * locks, length hints), except {@code open} of a writable handle: a repeated open after a lost reply leaves an extra
 * write session that the session pruner drops when this client's mgmtd session ends.
 *
 * <p>Calls block the calling thread: never call from an RPC I/O thread. Thread-safe.
 */
public final class MetaClient implements MetaService, TrashService.Source, AutoCloseable {

  /**
   * Retry settings; immutable. {@code deadline} bounds a whole call, every attempt and pause included: past it the
   * call fails with ETIMEDOUT naming the last error, so a metadata service that cannot answer (its KV store down)
   * turns into an error after a known time instead of a hang.
   */
  public record Options(int maxAttempts, Duration initialBackoff, Duration maxBackoff, Duration callTimeout,
      Duration deadline, Duration failoverReadDelay) {
    public Options {
      if (maxAttempts < 0) {
        throw new IllegalArgumentException("maxAttempts must be >= 0 (0: only the deadline ends the retries)");
      }
      Objects.requireNonNull(initialBackoff, "initialBackoff");
      Objects.requireNonNull(maxBackoff, "maxBackoff");
      Objects.requireNonNull(callTimeout, "callTimeout");
      Objects.requireNonNull(deadline, "deadline");
      Objects.requireNonNull(failoverReadDelay, "failoverReadDelay");
    }

    /** With the default {@code meta.client.failover_read_delay}. */
    public Options(int maxAttempts, Duration initialBackoff, Duration maxBackoff, Duration callTimeout,
        Duration deadline) {
      this(maxAttempts, initialBackoff, maxBackoff, callTimeout, deadline,
          MetaClientConfig.CLIENT_FAILOVER_READ_DELAY.defaultValue());
    }

    /** Without an overall deadline of its own: every attempt may use its whole call timeout. */
    public Options(int maxAttempts, Duration initialBackoff, Duration maxBackoff, Duration callTimeout) {
      this(maxAttempts, initialBackoff, maxBackoff, callTimeout,
          callTimeout.plus(maxBackoff).multipliedBy(maxAttempts));
    }

    /** The {@code meta.client.*} keys of {@code config} (defaults where its schema lacks them). */
    public static Options from(Config config) {
      return new Options(get(config, MetaClientConfig.CLIENT_MAX_ATTEMPTS), get(config, MetaClientConfig.CLIENT_INITIAL_BACKOFF),
          get(config, MetaClientConfig.CLIENT_MAX_BACKOFF), get(config, MetaClientConfig.CLIENT_CALL_TIMEOUT),
          get(config, MetaClientConfig.CLIENT_DEADLINE), get(config, MetaClientConfig.CLIENT_FAILOVER_READ_DELAY));
    }

    private static <T> T get(Config config, Key<T> key) {
      return config != null && config.schema().contains(key) ? config.get(key) : key.defaultValue();
    }
  }

  private final RpcClient rpc;
  private final boolean ownsRpc;
  private final MetaServers servers;
  private final Options options;
  private final Retrier retrier;
  private final String reqNamespace;
  private final AtomicLong seq = new AtomicLong();
  private final AtomicInteger current;
  /** The subdirectory this client mounted ("/": the whole tree), stated in every request's user. */
  private final String subdir;
  private final Sleeper sleeper;
  /** The server of the newest answered call and when it answered (System.nanoTime), for the failover delay. */
  private volatile Answered lastAnswered;

  private record Answered(Address server, long atNanos) {}

  /**
   * A client over an existing RPC client (not closed by {@link #close()}).
   *
   * @param clientId names this client in request ids (the server's idempotency records); at most 100 characters
   * @param random picks the first server, the request-id nonce and the backoff jitter
   * @param sleeper waits between retries (tests inject one that does not sleep)
   */
  public MetaClient(RpcClient rpc, List<Address> servers, String clientId, Options options, RandomGenerator random,
      Sleeper sleeper) {
    this(rpc, false, MetaServers.fixed(servers), clientId, options, random, sleeper);
  }

  /** As above, with the servers looked up again before every attempt (e.g. from mgmtd's routing info). */
  public MetaClient(RpcClient rpc, MetaServers servers, String clientId, Options options, RandomGenerator random,
      Sleeper sleeper) {
    this(rpc, false, servers, clientId, options, random, sleeper, "/");
  }

  /**
   * As above, for a client that mounted {@code subdir} (absolute; "/" for the whole tree): every request says so,
   * and meta confines it to that subtree under the export rule that admits it (docs/exports.md, "Subtrees").
   */
  public MetaClient(RpcClient rpc, MetaServers servers, String clientId, Options options, RandomGenerator random,
      Sleeper sleeper, String subdir) {
    this(rpc, false, servers, clientId, options, random, sleeper, subdir);
  }

  private MetaClient(RpcClient rpc, boolean ownsRpc, MetaServers servers, String clientId, Options options,
      RandomGenerator random, Sleeper sleeper) {
    this(rpc, ownsRpc, servers, clientId, options, random, sleeper, "/");
  }

  private MetaClient(RpcClient rpc, boolean ownsRpc, MetaServers servers, String clientId, Options options,
      RandomGenerator random, Sleeper sleeper, String subdir) {
    this.subdir = subdir == null || subdir.isEmpty() ? "/" : subdir;
    this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
    this.rpc = Objects.requireNonNull(rpc, "rpc");
    this.ownsRpc = ownsRpc;
    this.servers = Objects.requireNonNull(servers, "servers");
    if (servers.current().isEmpty()) {
      throw CatenaException.of(Errno.EINVAL, "a meta client needs at least one meta server address");
    }
    if (clientId == null || clientId.isEmpty() || clientId.length() > 100) {
      throw CatenaException.of(Errno.EINVAL, "a meta client needs a client id of 1 to 100 characters");
    }
    this.options = Objects.requireNonNull(options, "options");
    // The deadline bounds the whole call; each attempt also by meta.client.call_timeout; a count only if configured.
    this.retrier = new Retrier(new RetryPolicy(options.maxAttempts() == 0 ? RetryPolicy.UNLIMITED
        : options.maxAttempts(), options.initialBackoff(), options.maxBackoff(), options.deadline()), Clock.systemUTC(),
        random, sleeper);
    byte[] nonce = new byte[8];
    synchronized (random) {
      random.nextBytes(nonce);
      this.current = new AtomicInteger(random.nextInt(1 << 16));
    }
    this.reqNamespace = clientId + "/" + HexFormat.of().formatHex(nonce);
  }

  /** A client with its own RPC client from {@code config} ({@code rpc.*} and {@code meta.client.*} keys). */
  public static MetaClient create(Config config, List<Address> servers, String clientId) {
    return create(config, servers, clientId, io.catena.common.metrics.Meters.discarding());
  }

  /** As above, its RPC calls counted in {@code registry}. */
  public static MetaClient create(Config config, List<Address> servers, String clientId,
      io.micrometer.core.instrument.MeterRegistry registry) {
    RpcClient rpc = Rpc.client(config, registry);
    try {
      return new MetaClient(rpc, true, MetaServers.fixed(servers), clientId, Options.from(config),
          RandomGenerator.of("L64X128MixRandom"), Sleeper.system());
    } catch (RuntimeException e) {
      rpc.close();
      throw e;
    }
  }

  /** The client id part of the request ids this client makes for callers that pass none. */
  public String requestIdNamespace() {
    return reqNamespace;
  }

  /** The server the next call goes to first (the sticky choice; it moves on after a retryable failure). */
  public Address currentServer() {
    List<Address> list = servers.current();
    return list.get(Math.floorMod(current.get(), list.size()));
  }

  /** Closes the RPC client if this meta client created it. */
  @Override
  public void close() {
    if (ownsRpc) {
      rpc.close();
    }
  }

  /** Trash and undelete (docs/trash.md) through this client's servers and retries. */
  @Override
  public TrashService trash() {
    return new TrashClient(this::call);
  }

  /**
   * Calls a method of another service the meta servers offer (e.g. {@link io.catena.meta.goal.GoalMethods}) with
   * this client's failover, retries and deadline. The method must be safe to retry.
   */
  public <Req extends Message, Resp extends Message> Resp invoke(MethodDescriptor<Req, Resp> method, Req request) {
    return call(method, request);
  }

  // ---- the retry loop

  private <Req extends Message, Resp extends Message> Resp call(MethodDescriptor<Req, Resp> method, Req given) {
    Req request = stamped(given);
    Retrier.Attempts attempts = retrier.begin();
    while (true) {
      int index = current.get();
      try {
        List<Address> list = servers.current();
        if (list.isEmpty()) {
          throw CatenaException.retryable(Errno.EHOSTUNREACH, "no meta server is known (routing lists none alive)");
        }
        attempts.checkTime();
        Address server = list.get(Math.floorMod(index, list.size()));
        awaitFailoverDelay(server);
        Resp answer = once(server, method, request, attempts.remaining());
        lastAnswered = new Answered(server, System.nanoTime());
        return answer;
      } catch (CatenaException e) {
        if (!e.isRetryable()) {
          throw e;
        }
        // Move on from the server that failed, unless another caller already did (no double skips).
        current.compareAndSet(index, index + 1);
        try {
          if (attempts.failures() == 0) {
            attempts.failedNoPause(e); // the first retry is a failover: no reason to wait
          } else {
            attempts.failed(e);
          }
        } catch (CatenaException giveUp) {
          throw new CatenaException(giveUp.status().withMessage(method.fullName() + " " + giveUp.getMessage()));
        }
      }
    }
  }

  /**
   * Before the first call to a server other than the one that answered last: wait until
   * {@code meta.client.failover_read_delay} has passed since that answer. A server reads up to
   * {@code meta.read_staleness} behind the changes other servers made (its own it always sees), so without the pause
   * a client that failed over could miss what it did a moment ago through the previous server.
   */
  private void awaitFailoverDelay(Address server) {
    Answered last = lastAnswered;
    if (last == null || last.server().equals(server)) {
      return;
    }
    long wait = last.atNanos() + options.failoverReadDelay().toNanos() - System.nanoTime();
    if (wait > 0) {
      try {
        sleeper.sleep(Duration.ofNanos(wait));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw CatenaException.of(Errno.EINTR, "interrupted while failing over to meta server %s", server);
      }
    }
  }

  /** The subdirectory this client mounted ("/": the whole tree). */
  public String subdir() {
    return subdir;
  }

  /** {@code request} with this client's mounted subdirectory in its user (as it is for a whole-tree client). */
  private <Req extends Message> Req stamped(Req request) {
    return subdir.equals("/") ? request : MetaWire.withUser(request, u -> u.toBuilder().setSubdir(subdir).build());
  }


  private <Req extends Message, Resp extends Message> Resp once(Address server, MethodDescriptor<Req, Resp> method,
      Req request, Duration left) {
    Duration timeout = left.compareTo(options.callTimeout()) < 0 ? left : options.callTimeout();
    Future<RpcResponse<Resp>> f = rpc.call(server, method, request, null,
        CallOptions.timeout(timeout.isZero() || timeout.isNegative() ? Duration.ofMillis(1) : timeout));
    try (RpcResponse<Resp> r = f.get()) {
      return r.message();
    } catch (ExecutionException e) {
      throw new CatenaException(CatenaException.statusOf(e.getCause()));
    } catch (InterruptedException e) {
      f.cancel(true);
      Thread.currentThread().interrupt();
      throw CatenaException.of(Errno.EINTR, "interrupted while waiting for %s", method.fullName());
    }
  }

  private ReqId reqId(RequestId given) {
    return MetaWire.req(given != null ? given : new RequestId(reqNamespace, seq.incrementAndGet()));
  }

  private static User u(UserInfo user) {
    return MetaWire.user(Objects.requireNonNull(user, "user"));
  }

  // ---- MetaService

  @Override
  public StatFs statfs(UserInfo user) {
    return MetaWire.statfs(call(MetaMethods.STATFS, StatfsRequest.newBuilder().setUser(u(user)).build()));
  }

  @Override
  public StatFs statfs(UserInfo user, long ino) {
    return MetaWire.statfs(call(MetaMethods.STATFS, StatfsRequest.newBuilder().setUser(u(user)).setIno(ino)
        .build()));
  }

  /** Safe to retry: setting the same limits again changes nothing (and finishes an interrupted count). */
  @Override
  public QuotaUsage setQuota(UserInfo user, long ino, QuotaLimits limits) {
    return MetaWire.quota(call(MetaMethods.SET_QUOTA, SetQuotaRequest.newBuilder().setUser(u(user)).setIno(ino)
        .setLimits(MetaWire.quotaLimits(limits)).build()))
        .orElseThrow(() -> CatenaException.of(Errno.EPROTO, "set quota reply carries no quota"));
  }

  @Override
  public Optional<QuotaUsage> getQuota(UserInfo user, long ino) {
    return MetaWire.quota(call(MetaMethods.GET_QUOTA, QuotaRequest.newBuilder().setUser(u(user)).setIno(ino)
        .build()));
  }

  /** A retry after a lost reply finds no quota and returns false; the quota is gone either way. */
  @Override
  public boolean removeQuota(UserInfo user, long ino) {
    return call(MetaMethods.REMOVE_QUOTA, QuotaRequest.newBuilder().setUser(u(user)).setIno(ino).build())
        .getExisted();
  }

  @Override
  public void touchAtime(UserInfo user, long ino) {
    call(MetaMethods.TOUCH_ATIME, TouchAtimeRequest.newBuilder().setUser(u(user)).setIno(ino).build());
  }

  @Override
  public Inode lookup(UserInfo user, long parent, String name) {
    return inode(call(MetaMethods.LOOKUP,
        LookupRequest.newBuilder().setUser(u(user)).setParent(parent).setName(str(name)).build()));
  }

  @Override
  public Inode getattr(UserInfo user, long ino) {
    return inode(call(MetaMethods.GETATTR, GetattrRequest.newBuilder().setUser(u(user)).setIno(ino).build()));
  }

  @Override
  public List<Optional<Inode>> batchGetattr(UserInfo user, List<Long> inos) {
    BatchGetattrResponse r = call(MetaMethods.BATCH_GETATTR,
        BatchGetattrRequest.newBuilder().setUser(u(user)).addAllInos(inos).build());
    if (r.getSlotsCount() != inos.size()) {
      throw CatenaException.of(Errno.EPROTO, "batch getattr of %d inodes answered %d", inos.size(),
          r.getSlotsCount());
    }
    List<Optional<Inode>> out = new ArrayList<>(inos.size());
    for (InodeResponse slot : r.getSlotsList()) {
      out.add(slot.hasInode() ? Optional.of(MetaWire.inode(slot.getInode())) : Optional.empty());
    }
    return out;
  }

  @Override
  public OpenResult create(UserInfo user, long parent, String name, int mode, int flags, String clientId,
      RequestId req) {
    CreateRequest.Builder b = CreateRequest.newBuilder().setUser(u(user)).setParent(parent).setName(str(name))
        .setMode(mode).setFlags(flags).setReq(reqId(req));
    if (clientId != null) {
      b.setClientId(str(clientId));
    }
    return open(call(MetaMethods.CREATE, b.build()));
  }

  @Override
  public OpenResult open(UserInfo user, long ino, int flags, String clientId) {
    OpenRequest.Builder b = OpenRequest.newBuilder().setUser(u(user)).setIno(ino).setFlags(flags);
    if (clientId != null) {
      b.setClientId(str(clientId));
    }
    return open(call(MetaMethods.OPEN, b.build()));
  }

  @Override
  public Inode lengthHint(UserInfo user, long ino, long sessionId, long length, long truncateVersion) {
    return inode(call(MetaMethods.LENGTH_HINT, LengthHintRequest.newBuilder().setUser(u(user)).setIno(ino)
        .setSessionId(sessionId).setLength(length).setTruncateVersion(truncateVersion).build()));
  }

  @Override
  public Inode sync(UserInfo user, long ino, long sessionId, boolean wrote) {
    return inode(call(MetaMethods.SYNC, SyncRequest.newBuilder().setUser(u(user)).setIno(ino)
        .setSessionId(sessionId).setWrote(wrote).build()));
  }

  @Override
  public Inode close(UserInfo user, long ino, long sessionId, boolean wrote) {
    return inode(call(MetaMethods.CLOSE, SyncRequest.newBuilder().setUser(u(user)).setIno(ino)
        .setSessionId(sessionId).setWrote(wrote).build()));
  }

  @Override
  public Inode mkdir(UserInfo user, long parent, String name, int mode, RequestId req) {
    return inode(call(MetaMethods.MKDIR, MkdirRequest.newBuilder().setUser(u(user)).setParent(parent)
        .setName(str(name)).setMode(mode).setReq(reqId(req)).build()));
  }

  @Override
  public Inode mknod(UserInfo user, long parent, String name, int stMode, long rdev, RequestId req) {
    return inode(call(MetaMethods.MKNOD, MknodRequest.newBuilder().setUser(u(user)).setParent(parent)
        .setName(str(name)).setStMode(stMode).setRdev(rdev).setReq(reqId(req)).build()));
  }

  @Override
  public Inode symlink(UserInfo user, long parent, String name, String target, RequestId req) {
    SymlinkRequest.Builder b = SymlinkRequest.newBuilder().setUser(u(user)).setParent(parent).setName(str(name))
        .setReq(reqId(req));
    if (target != null) {
      b.setTarget(str(target));
    }
    return inode(call(MetaMethods.SYMLINK, b.build()));
  }

  @Override
  public String readlink(UserInfo user, long ino) {
    return call(MetaMethods.READLINK, ReadlinkRequest.newBuilder().setUser(u(user)).setIno(ino).build()).getValue();
  }

  @Override
  public Inode link(UserInfo user, long ino, long newParent, String newName, RequestId req) {
    return inode(call(MetaMethods.LINK, LinkRequest.newBuilder().setUser(u(user)).setIno(ino)
        .setNewParent(newParent).setNewName(str(newName)).setReq(reqId(req)).build()));
  }

  @Override
  public Inode unlink(UserInfo user, long parent, String name, RequestId req) {
    InodeResponse r = call(MetaMethods.UNLINK, RemoveRequest.newBuilder().setUser(u(user)).setParent(parent)
        .setName(str(name)).setReq(reqId(req)).build());
    return r.hasInode() ? inode(r) : null;
  }

  @Override
  public void rmdir(UserInfo user, long parent, String name, RequestId req) {
    call(MetaMethods.RMDIR, RemoveRequest.newBuilder().setUser(u(user)).setParent(parent).setName(str(name))
        .setReq(reqId(req)).build());
  }

  @Override
  public void rename(UserInfo user, long parent, String name, long newParent, String newName, int flags,
      RequestId req) {
    call(MetaMethods.RENAME, RenameRequest.newBuilder().setUser(u(user)).setParent(parent).setName(str(name))
        .setNewParent(newParent).setNewName(str(newName)).setFlags(flags).setReq(reqId(req)).build());
  }

  @Override
  public ReaddirPage readdir(UserInfo user, long ino, String cursor, int limit, boolean plus) {
    ReaddirRequest.Builder b = ReaddirRequest.newBuilder().setUser(u(user)).setIno(ino).setLimit(limit)
        .setPlus(plus);
    if (cursor != null) {
      b.setCursor(str(cursor));
    }
    return MetaWire.readdir(call(MetaMethods.READDIR, b.build()));
  }

  @Override
  public Inode setattr(UserInfo user, long ino, SetAttr attr) {
    SetattrRequest.Builder b = SetattrRequest.newBuilder().setUser(u(user)).setIno(ino);
    return inode(call(MetaMethods.SETATTR, MetaWire.setattr(b, attr).build()));
  }

  @Override
  public Inode resolve(UserInfo user, long base, String path, boolean followLast) {
    return inode(call(MetaMethods.RESOLVE, ResolveRequest.newBuilder().setUser(u(user)).setBase(base)
        .setPath(str(path)).setFollowLast(followLast).build()));
  }

  @Override
  public String realpath(UserInfo user, String path) {
    return call(MetaMethods.REALPATH, RealpathRequest.newBuilder().setUser(u(user)).setPath(str(path)).build())
        .getValue();
  }

  @Override
  public void access(UserInfo user, long ino, int mask) {
    call(MetaMethods.ACCESS, AccessRequest.newBuilder().setUser(u(user)).setIno(ino).setMask(mask).build());
  }

  @Override
  public byte[] getxattr(UserInfo user, long ino, String name) {
    return call(MetaMethods.GETXATTR, GetxattrRequest.newBuilder().setUser(u(user)).setIno(ino)
        .setName(str(name)).build()).getValue().toByteArray();
  }

  @Override
  public List<String> listxattr(UserInfo user, long ino) {
    return List.copyOf(call(MetaMethods.LISTXATTR, ListxattrRequest.newBuilder().setUser(u(user)).setIno(ino)
        .build()).getNamesList());
  }

  @Override
  public void setxattr(UserInfo user, long ino, String name, byte[] value, int flags, RequestId req) {
    SetxattrRequest.Builder b = SetxattrRequest.newBuilder().setUser(u(user)).setIno(ino).setName(str(name))
        .setFlags(flags).setReq(reqId(req));
    if (value != null) {
      b.setValue(ByteString.copyFrom(value));
    }
    call(MetaMethods.SETXATTR, b.build());
  }

  @Override
  public void removexattr(UserInfo user, long ino, String name, RequestId req) {
    call(MetaMethods.REMOVEXATTR, RemovexattrRequest.newBuilder().setUser(u(user)).setIno(ino).setName(str(name))
        .setReq(reqId(req)).build());
  }

  @Override
  public long removeRecursive(UserInfo user, long parent, String name, RequestId req) {
    return call(MetaMethods.REMOVE_RECURSIVE, RemoveRecursiveRequest.newBuilder().setUser(u(user))
        .setParent(parent).setName(str(name)).setReq(reqId(req)).build()).getRemoved();
  }

  @Override
  public SnapshotResult snapshot(UserInfo user, long src, long dstParent, String dstName, RequestId req) {
    SnapshotResponse r = call(MetaMethods.SNAPSHOT, SnapshotRequest.newBuilder().setUser(u(user)).setSrc(src)
        .setDstParent(dstParent).setDstName(str(dstName)).setReq(reqId(req)).build());
    return new SnapshotResult(r.getDirectories(), r.getSharedFiles(), r.getCopiedFiles(), r.getOthers(),
        r.getBytes());
  }

  @Override
  public void setLock(UserInfo user, long ino, LockRequest request) {
    call(MetaMethods.SET_LOCK, LockCallRequest.newBuilder().setUser(u(user)).setIno(ino)
        .setLock(MetaWire.lock(request)).build());
  }

  @Override
  public Optional<FileLock> getLock(UserInfo user, long ino, LockRequest request) {
    GetLockResponse r = call(MetaMethods.GET_LOCK, LockCallRequest.newBuilder().setUser(u(user)).setIno(ino)
        .setLock(MetaWire.lock(request)).build());
    return r.hasLock() ? Optional.of(MetaWire.fileLock(r.getLock())) : Optional.empty();
  }

  private static Inode inode(InodeResponse r) {
    return MetaWire.inode(r);
  }

  private static OpenResult open(OpenResponse r) {
    if (!r.hasInode()) {
      throw CatenaException.of(Errno.EPROTO, "meta open reply carries no inode");
    }
    return new OpenResult(MetaWire.inode(r.getInode()), r.getSessionId(),
        r.hasParent() ? MetaWire.inode(r.getParent()) : null);
  }
}
