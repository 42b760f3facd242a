package io.catena.meta.server;

import static io.catena.meta.rpc.MetaWire.inodeResponse;
import static io.catena.meta.rpc.MetaWire.req;
import static io.catena.meta.rpc.MetaWire.user;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.catena.common.config.Config;
import io.catena.meta.FileLock;
import io.catena.meta.server.MetaConfig;
import io.catena.meta.Inode;
import io.catena.meta.MetaService;
import io.catena.meta.OpenResult;
import io.catena.meta.rpc.MetaMethods;
import io.catena.meta.rpc.MetaWire;
import io.catena.meta.proto.BatchGetattrResponse;
import io.catena.meta.proto.Empty;
import io.catena.meta.proto.GetLockResponse;
import io.catena.meta.proto.GetxattrResponse;
import io.catena.meta.proto.InodeResponse;
import io.catena.meta.proto.ListxattrResponse;
import io.catena.meta.proto.OpenResponse;
import io.catena.meta.proto.RemoveQuotaResponse;
import io.catena.meta.proto.RemoveRecursiveResponse;
import io.catena.meta.proto.SnapshotResponse;
import io.catena.meta.SnapshotResult;
import io.catena.meta.proto.StringResponse;
import io.catena.rpc.MethodDescriptor;
import io.catena.rpc.RpcHandler;
import io.catena.rpc.RpcReply;
import io.catena.rpc.ServiceDefinition;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Serves a {@link MetaService} as RPC service {@link MetaMethods#SERVICE_ID} (the {@code meta} role). Every handler
 * runs on the server's worker pool, not inline: each one is a KV transaction, and a transaction blocks (a RocksDB read
 * may touch disk, a durable commit waits for the WAL fsync of its group). Size {@code rpc.worker_threads} to the
 * concurrency the KV engine can use: commits of concurrent workers share one fsync, so more workers than the default
 * 16 raise create throughput until the engine saturates. A {@link io.catena.common.CatenaException} thrown by the
 * service travels as the reply's status (errno, message, retryable flag) and reaches the
 * {@link io.catena.meta.client.MetaClient} caller unchanged. The service keeps no state of its own: any number of
 * servers on one KV engine serve one namespace. Thread-safe: stateless around the (thread-safe) service.
 */
public final class MetaRpcService {
  private static final Empty EMPTY = Empty.getDefaultInstance();

  private MetaRpcService() {}

  /**
   * The service definition to pass to {@code Rpc.server(config, address, List.of(...))}, e.g. in the control process:
   * {@code MetaRpcService.definition(new KvMetaService(runner, clock, config, chainTables, storage))}.
   */
  public static ServiceDefinition definition(MetaService m) {
    return definition(m, false, false);
  }

  /**
   * As {@link #definition(MetaService, boolean, boolean)} with {@code meta.rpc_inline_reads} and
   * {@code meta.rpc_inline_writes} from {@code config}.
   */
  public static ServiceDefinition definition(MetaService m, Config config) {
    return definition(m, flag(config, MetaConfig.RPC_INLINE_READS), flag(config, MetaConfig.RPC_INLINE_WRITES));
  }

  private static boolean flag(Config config, io.catena.common.config.Key<Boolean> key) {
    return config.schema().contains(key) ? config.get(key) : key.defaultValue();
  }

  /**
   * As {@link #definition(MetaService)}; with {@code inlineReads}, the read-only calls that stat (lookup, getattr,
   * batch getattr, access, readlink) run on the I/O thread instead of the worker pool. That saves two thread handoffs
   * per stat, which is most of a stat's cost over RPC on a small machine, but it is only safe when KV reads do not
   * block: the mem engine, or RocksDB whose working set fits the block cache (a read that goes to disk stalls every
   * connection of that event loop). Off by default. With {@code inlineWrites}, so do create, close and unlink (the
   * calls of a create or remove loop), waiting on the I/O thread for their commit ({@code meta.rpc_inline_writes}).
   */
  public static ServiceDefinition definition(MetaService m, boolean inlineReads, boolean inlineWrites) {
    ServiceDefinition.Builder b = ServiceDefinition.builder(MetaMethods.SERVICE_NAME, MetaMethods.SERVICE_ID);
    Binder on = inlineReads ? MetaRpcService::inline : MetaRpcService::on;
    Binder onWrite = inlineWrites ? MetaRpcService::inline : MetaRpcService::on;
    on(b, MetaMethods.STATFS, r -> MetaWire.statfs(r.hasIno() ? m.statfs(user(r.getUser()), r.getIno())
        : m.statfs(user(r.getUser()))));
    on.bind(b, MetaMethods.LOOKUP, r -> inodeResponse(m.lookup(user(r.getUser()), r.getParent(), r.getName())));
    on.bind(b, MetaMethods.GETATTR, r -> inodeResponse(m.getattr(user(r.getUser()), r.getIno())));
    on.bind(b, MetaMethods.BATCH_GETATTR, r -> {
      List<Optional<Inode>> found = m.batchGetattr(user(r.getUser()), r.getInosList());
      BatchGetattrResponse.Builder out = BatchGetattrResponse.newBuilder();
      for (Optional<Inode> i : found) {
        out.addSlots(i.map(MetaWire::inodeResponse).orElse(InodeResponse.getDefaultInstance()));
      }
      return out.build();
    });
    onWrite.bind(b, MetaMethods.CREATE, r -> open(m.create(user(r.getUser()), r.getParent(), r.getName(), r.getMode(),
        r.getFlags(), r.hasClientId() ? r.getClientId() : null, req(r.hasReq(), r.getReq()))));
    on(b, MetaMethods.OPEN, r -> open(m.open(user(r.getUser()), r.getIno(), r.getFlags(),
        r.hasClientId() ? r.getClientId() : null)));
    on(b, MetaMethods.LENGTH_HINT, r -> inodeResponse(m.lengthHint(user(r.getUser()), r.getIno(), r.getSessionId(),
        r.getLength(), r.getTruncateVersion())));
    on(b, MetaMethods.SYNC, r -> inodeResponse(m.sync(user(r.getUser()), r.getIno(), r.getSessionId(),
        r.getWrote())));
    onWrite.bind(b, MetaMethods.CLOSE, r -> inodeResponse(m.close(user(r.getUser()), r.getIno(), r.getSessionId(),
        r.getWrote())));
    on(b, MetaMethods.MKDIR, r -> inodeResponse(m.mkdir(user(r.getUser()), r.getParent(), r.getName(), r.getMode(),
        req(r.hasReq(), r.getReq()))));
    on(b, MetaMethods.MKNOD, r -> inodeResponse(m.mknod(user(r.getUser()), r.getParent(), r.getName(),
        r.getStMode(), r.getRdev(), req(r.hasReq(), r.getReq()))));
    on(b, MetaMethods.SYMLINK, r -> inodeResponse(m.symlink(user(r.getUser()), r.getParent(), r.getName(),
        r.hasTarget() ? r.getTarget() : null, req(r.hasReq(), r.getReq()))));
    on.bind(b, MetaMethods.READLINK, r -> string(m.readlink(user(r.getUser()), r.getIno())));
    on(b, MetaMethods.LINK, r -> inodeResponse(m.link(user(r.getUser()), r.getIno(), r.getNewParent(),
        r.getNewName(), req(r.hasReq(), r.getReq()))));
    onWrite.bind(b, MetaMethods.UNLINK, r -> {
      Inode dir = m.unlink(user(r.getUser()), r.getParent(), r.getName(), req(r.hasReq(), r.getReq()));
      return dir == null ? InodeResponse.getDefaultInstance() : inodeResponse(dir); // a record from before answers
    });
    on(b, MetaMethods.RMDIR, r -> {
      m.rmdir(user(r.getUser()), r.getParent(), r.getName(), req(r.hasReq(), r.getReq()));
      return EMPTY;
    });
    on(b, MetaMethods.RENAME, r -> {
      m.rename(user(r.getUser()), r.getParent(), r.getName(), r.getNewParent(), r.getNewName(), r.getFlags(),
          req(r.hasReq(), r.getReq()));
      return EMPTY;
    });
    on(b, MetaMethods.READDIR, r -> MetaWire.readdir(m.readdir(user(r.getUser()), r.getIno(),
        r.hasCursor() ? r.getCursor() : null, r.getLimit(), r.getPlus())));
    on(b, MetaMethods.SETATTR, r -> inodeResponse(m.setattr(user(r.getUser()), r.getIno(), MetaWire.setattr(r))));
    on(b, MetaMethods.RESOLVE, r -> inodeResponse(m.resolve(user(r.getUser()), r.getBase(), r.getPath(),
        r.getFollowLast())));
    on(b, MetaMethods.REALPATH, r -> string(m.realpath(user(r.getUser()), r.getPath())));
    on.bind(b, MetaMethods.ACCESS, r -> {
      m.access(user(r.getUser()), r.getIno(), r.getMask());
      return EMPTY;
    });
    on(b, MetaMethods.GETXATTR, r -> GetxattrResponse.newBuilder()
        .setValue(ByteString.copyFrom(m.getxattr(user(r.getUser()), r.getIno(), r.getName()))).build());
    on(b, MetaMethods.LISTXATTR, r -> ListxattrResponse.newBuilder()
        .addAllNames(m.listxattr(user(r.getUser()), r.getIno())).build());
    on(b, MetaMethods.SETXATTR, r -> {
      m.setxattr(user(r.getUser()), r.getIno(), r.getName(), r.hasValue() ? r.getValue().toByteArray() : null,
          r.getFlags(), req(r.hasReq(), r.getReq()));
      return EMPTY;
    });
    on(b, MetaMethods.REMOVEXATTR, r -> {
      m.removexattr(user(r.getUser()), r.getIno(), r.getName(), req(r.hasReq(), r.getReq()));
      return EMPTY;
    });
    on(b, MetaMethods.REMOVE_RECURSIVE, r -> RemoveRecursiveResponse.newBuilder()
        .setRemoved(m.removeRecursive(user(r.getUser()), r.getParent(), r.getName(), req(r.hasReq(), r.getReq())))
        .build());
    on(b, MetaMethods.SET_LOCK, r -> {
      m.setLock(user(r.getUser()), r.getIno(), MetaWire.lock(r.getLock()));
      return EMPTY;
    });
    on(b, MetaMethods.GET_LOCK, r -> {
      Optional<FileLock> l = m.getLock(user(r.getUser()), r.getIno(), MetaWire.lock(r.getLock()));
      GetLockResponse.Builder out = GetLockResponse.newBuilder();
      l.ifPresent(f -> out.setLock(MetaWire.fileLock(f)));
      return out.build();
    });
    on(b, MetaMethods.SET_QUOTA, r -> MetaWire.quota(Optional.of(m.setQuota(user(r.getUser()), r.getIno(),
        MetaWire.quotaLimits(r.getLimits())))));
    on(b, MetaMethods.GET_QUOTA, r -> MetaWire.quota(m.getQuota(user(r.getUser()), r.getIno())));
    on(b, MetaMethods.REMOVE_QUOTA, r -> RemoveQuotaResponse.newBuilder()
        .setExisted(m.removeQuota(user(r.getUser()), r.getIno())).build());
    on(b, MetaMethods.SNAPSHOT, r -> {
      SnapshotResult s = m.snapshot(user(r.getUser()), r.getSrc(), r.getDstParent(), r.getDstName(),
          req(r.hasReq(), r.getReq()));
      return SnapshotResponse.newBuilder().setDirectories(s.directories()).setSharedFiles(s.sharedFiles())
          .setCopiedFiles(s.copiedFiles()).setOthers(s.others()).setBytes(s.bytes()).build();
    });
    on(b, MetaMethods.TOUCH_ATIME, r -> {
      m.touchAtime(user(r.getUser()), r.getIno());
      return EMPTY;
    });
    if (m instanceof io.catena.meta.TrashService.Source t) {
      TrashRpcService.bind(b, t.trash()); // methods 100-104 (docs/trash.md)
    }
    return b.build();
  }

  private static OpenResponse open(OpenResult r) {
    OpenResponse.Builder b = OpenResponse.newBuilder().setInode(MetaWire.inode(r.inode())).setSessionId(r.sessionId());
    if (r.parent() != null) {
      b.setParent(MetaWire.inode(r.parent()));
    }
    return b.build();
  }

  private static StringResponse string(String s) {
    return StringResponse.newBuilder().setValue(s).build();
  }

  private interface Binder {
    <Req extends Message, Resp extends Message> void bind(ServiceDefinition.Builder b,
        MethodDescriptor<Req, Resp> method, Function<Req, Resp> body);
  }

  private static <Req extends Message, Resp extends Message> void inline(ServiceDefinition.Builder b,
      MethodDescriptor<Req, Resp> method, Function<Req, Resp> body) {
    RpcHandler<Req, Resp> h = call -> CompletableFuture.completedFuture(
        RpcReply.of(body.apply(CallerIdentity.effectiveRequest(call))));
    b.inlineMethod(method, h);
  }

  /**
   * Binds {@code body} on the worker pool. The body runs synchronously on the worker thread, on the request as
   * {@link CallerIdentity} lets the caller's token make it; what it throws becomes the error reply's status (the RPC
   * layer maps it with CatenaException.statusOf).
   */
  private static <Req extends Message, Resp extends Message> void on(ServiceDefinition.Builder b,
      MethodDescriptor<Req, Resp> method, Function<Req, Resp> body) {
    RpcHandler<Req, Resp> h = call -> CompletableFuture.completedFuture(
        RpcReply.of(body.apply(CallerIdentity.effectiveRequest(call))));
    b.method(method, h);
  }
}
