package io.catena.meta.server;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.meta.proto.InodeResponse;
import io.catena.meta.proto.ListTrashResponse;
import io.catena.meta.proto.LookupRequest;
import io.catena.meta.proto.StringResponse;
import io.catena.meta.proto.TrashEntryProto;
import io.catena.meta.rpc.MetaMethods;
import io.catena.meta.rpc.TrashMethods;
import io.catena.meta.store.Subtrees;
import io.catena.mgmtd.exports.DenialLog;
import io.catena.mgmtd.exports.MappedCall;
import io.catena.rpc.RpcCall;
import io.catena.rpc.RpcHandler;
import io.catena.rpc.RpcReply;
import io.catena.rpc.ServiceDefinition;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Confines a call to the subtree its client mounted ({@code User.subdir}, docs/exports.md "Subtrees"): every inode
 * the request names must be the mounted directory or lie beneath it ({@link Subtrees#beneath}, a bounded walk up
 * the recorded parents, checked on every call and never cached, so a rename elsewhere takes effect at once);
 * anything else is EACCES, so an inode number guessed or carried over from another mount is unreachable. Calls that
 * resolve paths (resolve, realpath) are checked on their result instead, as their paths may climb with "..".
 * LOOKUP of ".." in the mounted directory answers the directory itself. Listing the trash shows only entries deleted
 * beneath the mounted directory; restoring and purging by id are refused (an id says nothing about where its file
 * goes). The export rule that admitted the subdirectory was chosen before ({@link io.catena.mgmtd.exports
 * .ExportGuard}); this only keeps the call inside it. A whole-tree mount ({@code "/"}) costs one field read.
 *
 * <p>The mounted path is resolved to its directory once per {@link #ROOT_TTL} and cached: a rename of the mounted
 * directory itself is seen within that time. Thread-safe.
 */
public final class SubtreeConfinement implements ServiceDefinition.HandlerDecorator {
  /** How long a mounted path's directory is trusted before it is looked up again. */
  static final Duration ROOT_TTL = Duration.ofSeconds(1);
  private static final int MAX_ROOTS = 1024;
  /** The request fields that name inodes (uint64, or repeated for batch getattr). */
  private static final Set<String> INODE_FIELDS = Set.of("ino", "parent", "new_parent", "src", "dst_parent",
      "inos");

  private record Root(long ino, long atMillis) {}

  private final Subtrees subtrees;
  private final Clock clock;
  private final DenialLog denials;
  private final ConcurrentHashMap<String, Root> roots = new ConcurrentHashMap<>();

  public SubtreeConfinement(Subtrees subtrees, Clock clock) {
    this.subtrees = subtrees;
    this.clock = clock;
    this.denials = new DenialLog(clock);
  }

  /** {@code d} with every method confined (meta's own service and the goal service). */
  public ServiceDefinition wrap(ServiceDefinition d) {
    return d.decorated(this);
  }

  @Override
  public <Req extends Message, Resp extends Message> RpcHandler<Req, Resp> decorate(
      ServiceDefinition.Binding<Req, Resp> binding) {
    RpcHandler<Req, Resp> inner = binding.handler();
    return call -> {
      String subdir = MetaExports.subdirOf(call.request());
      if (subdir.equals("/")) {
        return inner.handle(call);
      }
      long root = root(subdir);
      RpcCall<Req> checked = before(call, subdir, root);
      return inner.handle(checked).thenApply(reply -> after(call, subdir, root, reply));
    };
  }

  /** The directory {@code subdir} names now (ENOENT/ENOTDIR as {@link Subtrees#directoryAt} finds them). */
  long root(String subdir) {
    long now = clock.millis();
    Root r = roots.get(subdir);
    if (r != null && now - r.atMillis() < ROOT_TTL.toMillis()) {
      return r.ino();
    }
    long ino = subtrees.directoryAt(subdir);
    if (roots.size() >= MAX_ROOTS) {
      roots.clear(); // only rules' paths get here, so this is a client cycling through many subdirectories
    }
    roots.put(subdir, new Root(ino, now));
    return ino;
  }

  private <Req extends Message> RpcCall<Req> before(RpcCall<Req> call, String subdir, long root) {
    if (call.method().equals(TrashMethods.RESTORE_TRASH) || call.method().equals(TrashMethods.PURGE_TRASH)) {
      throw deny(call, subdir, "trash restore and purge by id are not available under a subdirectory mount");
    }
    Req req = call.request();
    if (req instanceof LookupRequest l && l.getParent() == root && l.getName().equals("..")) {
      @SuppressWarnings("unchecked")
      Req same = (Req) l.toBuilder().setName(".").build(); // ".." of the mounted directory stays there
      return new MappedCall<>(call, same, call.caller());
    }
    if (call.method().equals(MetaMethods.RESOLVE) || call.method().equals(MetaMethods.REALPATH)) {
      return call; // checked on the result
    }
    for (FieldDescriptor f : req.getDescriptorForType().getFields()) {
      if (!INODE_FIELDS.contains(f.getName()) || f.getJavaType() != FieldDescriptor.JavaType.LONG) {
        continue;
      }
      if (f.isRepeated()) {
        for (int i = 0; i < req.getRepeatedFieldCount(f); i++) {
          check(call, subdir, root, (Long) req.getRepeatedField(f, i));
        }
      } else if (!f.hasPresence() || req.hasField(f)) {
        check(call, subdir, root, (Long) req.getField(f));
      }
    }
    return call;
  }

  private <Resp extends Message> RpcReply<Resp> after(RpcCall<?> call, String subdir, long root,
      RpcReply<Resp> reply) {
    Message m = reply.message();
    if (call.method().equals(MetaMethods.RESOLVE) && m instanceof InodeResponse r) {
      check(call, subdir, root, r.getInode().getId());
    } else if (call.method().equals(MetaMethods.REALPATH) && m instanceof StringResponse s) {
      if (!s.getValue().equals(subdir) && !s.getValue().startsWith(subdir + "/")) {
        throw deny(call, subdir, "path " + s.getValue() + " is outside the mounted subdirectory");
      }
    } else if (call.method().equals(TrashMethods.LIST_TRASH) && m instanceof ListTrashResponse l) {
      ListTrashResponse.Builder out = l.toBuilder().clearEntries();
      for (TrashEntryProto e : l.getEntriesList()) {
        if (subtrees.beneath(e.getParent(), root) == Subtrees.Ancestry.BENEATH) {
          out.addEntries(e);
        }
      }
      @SuppressWarnings("unchecked")
      Resp filtered = (Resp) out.build();
      return new RpcReply<>(filtered, reply.attachment());
    }
    return reply;
  }

  private void check(RpcCall<?> call, String subdir, long root, long ino) {
    if (subtrees.beneath(ino, root) == Subtrees.Ancestry.OUTSIDE) {
      throw deny(call, subdir, "inode " + ino + " is outside the mounted subdirectory");
    }
  }

  private CatenaException deny(RpcCall<?> call, String subdir, String reason) {
    String peer = call.remoteAddress() instanceof InetSocketAddress a && a.getAddress() != null
        ? a.getAddress().getHostAddress() : String.valueOf(call.remoteAddress());
    String who = call.caller().map(u -> u.name() + " (uid " + u.uid() + ")").orElse("(no token)");
    denials.denied(peer, who, call.method().fullName(), reason + " (mounted " + subdir + ")");
    return CatenaException.of(Errno.EACCES, "%s (mounted %s)", reason, subdir);
  }
}
