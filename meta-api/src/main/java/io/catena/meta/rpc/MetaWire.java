package io.catena.meta.rpc;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.meta.DirEntry;
import io.catena.meta.FileLock;
import io.catena.meta.Inode;
import io.catena.meta.InodeType;
import io.catena.meta.Layout;
import io.catena.meta.LockRequest;
import io.catena.meta.QuotaLimits;
import io.catena.meta.QuotaUsage;
import io.catena.meta.ReaddirPage;
import io.catena.meta.proto.QuotaResponse;
import java.util.Optional;
import io.catena.meta.RequestId;
import io.catena.meta.SetAttr;
import io.catena.meta.StatFs;
import io.catena.meta.UserInfo;
import io.catena.meta.proto.InodeResponse;
import io.catena.meta.proto.LockReq;
import io.catena.meta.proto.ReaddirResponse;
import io.catena.meta.proto.ReqId;
import io.catena.meta.proto.SetattrRequest;
import io.catena.meta.proto.StatfsResponse;
import io.catena.meta.proto.User;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Conversions between the meta API's records and their protobuf forms ({@code meta.proto}), shared by the server and
 * the client so both sides agree field by field. Enum-like fields travel as the persisted ordinals. Stateless and
 * thread-safe.
 */
public final class MetaWire {
  private static final InodeType[] TYPES = InodeType.values();
  private static final LockRequest.Kind[] KINDS = LockRequest.Kind.values();
  private static final LockRequest.Type[] LOCK_TYPES = LockRequest.Type.values();
  private static final QuotaUsage.State[] QUOTA_STATES = QuotaUsage.State.values();

  private MetaWire() {}

  public static User user(UserInfo u) {
    User.Builder b = User.newBuilder().setUid(u.uid()).setGid(u.gid());
    for (int g : u.groups()) {
      b.addGroups(g);
    }
    return b.build();
  }

  public static UserInfo user(User u) {
    int[] groups = new int[u.getGroupsCount()];
    for (int i = 0; i < groups.length; i++) {
      groups[i] = u.getGroups(i);
    }
    return new UserInfo(u.getUid(), u.getGid(), groups);
  }

  public static ReqId req(RequestId r) {
    return ReqId.newBuilder().setClientId(r.clientId()).setSeq(r.seq()).build();
  }

  /** The request id of a request message, or null when it carried none. */
  public static RequestId req(boolean present, ReqId r) {
    return present ? new RequestId(r.getClientId(), r.getSeq()) : null;
  }

  public static io.catena.meta.proto.Layout layout(Layout l) {
    return io.catena.meta.proto.Layout.newBuilder().setChainTableId(l.chainTableId())
        .setChainTableVersion(l.chainTableVersion()).setChunkSize(l.chunkSize()).setStripeSize(l.stripeSize())
        .setBaseChainIndex(l.baseChainIndex()).setShuffleSeed(l.shuffleSeed()).setDataId(l.dataId()).build();
  }

  public static Layout layout(io.catena.meta.proto.Layout l) {
    return new Layout(l.getChainTableId(), l.getChainTableVersion(), l.getChunkSize(), l.getStripeSize(),
        l.getBaseChainIndex(), l.getShuffleSeed(), l.getDataId());
  }

  public static io.catena.meta.proto.Inode inode(Inode i) {
    io.catena.meta.proto.Inode.Builder b = io.catena.meta.proto.Inode.newBuilder().setId(i.id())
        .setType(i.type().ordinal()).setMode(i.mode()).setUid(i.uid()).setGid(i.gid()).setNlink(i.nlink())
        .setLength(i.length()).setTruncateVersion(i.truncateVersion()).setAtime(i.atime()).setMtime(i.mtime())
        .setCtime(i.ctime()).setRdev(i.rdev()).setParent(i.parent());
    if (i.layout() != null) {
      b.setLayout(layout(i.layout()));
    }
    if (i.symlinkTarget() != null) {
      b.setSymlinkTarget(i.symlinkTarget());
    }
    if (i.name() != null) {
      b.setName(i.name());
    }
    if (i.quotaDomain() != Inode.NO_QUOTA) {
      b.setQuotaDomain(i.quotaDomain());
    }
    return b.build();
  }

  public static Inode inode(io.catena.meta.proto.Inode p) {
    return new Inode(p.getId(), type(p.getType()), p.getMode(), p.getUid(), p.getGid(), p.getNlink(), p.getLength(),
        p.getTruncateVersion(), p.getAtime(), p.getMtime(), p.getCtime(), p.getRdev(),
        p.hasLayout() ? layout(p.getLayout()) : null, p.hasSymlinkTarget() ? p.getSymlinkTarget() : null,
        p.getParent(), p.hasName() ? p.getName() : null, p.hasQuotaDomain() ? p.getQuotaDomain() : Inode.NO_QUOTA);
  }

  public static InodeResponse inodeResponse(Inode i) {
    return InodeResponse.newBuilder().setInode(inode(i)).build();
  }

  public static Inode inode(InodeResponse r) {
    if (!r.hasInode()) {
      throw CatenaException.of(Errno.EPROTO, "meta reply carries no inode");
    }
    return inode(r.getInode());
  }

  private static InodeType type(int ordinal) {
    if (ordinal < 0 || ordinal >= TYPES.length) {
      throw CatenaException.of(Errno.EPROTO, "unknown inode type %d", ordinal);
    }
    return TYPES[ordinal];
  }

  public static StatfsResponse statfs(StatFs s) {
    return StatfsResponse.newBuilder().setCapacityBytes(s.capacityBytes()).setFreeBytes(s.freeBytes())
        .setUsedInodes(s.usedInodes()).setBlockSize(s.blockSize()).setMaxNameLength(s.maxNameLength())
        .setMaxInodes(s.maxInodes()).build();
  }

  public static StatFs statfs(StatfsResponse r) {
    return new StatFs(r.getCapacityBytes(), r.getFreeBytes(), r.getUsedInodes(), r.getBlockSize(),
        r.getMaxNameLength(), r.getMaxInodes());
  }

  public static io.catena.meta.proto.QuotaLimits quotaLimits(QuotaLimits l) {
    return io.catena.meta.proto.QuotaLimits.newBuilder().setMaxBytes(l.maxBytes()).setMaxInodes(l.maxInodes())
        .build();
  }

  public static QuotaLimits quotaLimits(io.catena.meta.proto.QuotaLimits l) {
    return new QuotaLimits(l.getMaxBytes(), l.getMaxInodes());
  }

  /** A quota reply: the usage, or none. */
  public static QuotaResponse quota(Optional<QuotaUsage> q) {
    QuotaResponse.Builder b = QuotaResponse.newBuilder();
    q.ifPresent(u -> b.setQuota(io.catena.meta.proto.QuotaUsage.newBuilder().setIno(u.ino())
        .setLimits(quotaLimits(u.limits())).setUsedBytes(u.usedBytes()).setUsedInodes(u.usedInodes())
        .setState(u.state().ordinal())));
    return b.build();
  }

  public static Optional<QuotaUsage> quota(QuotaResponse r) {
    if (!r.hasQuota()) {
      return Optional.empty();
    }
    io.catena.meta.proto.QuotaUsage u = r.getQuota();
    if (u.getState() >= QUOTA_STATES.length) {
      throw CatenaException.of(Errno.EPROTO, "unknown quota state %d", u.getState());
    }
    return Optional.of(new QuotaUsage(u.getIno(), quotaLimits(u.getLimits()), u.getUsedBytes(), u.getUsedInodes(),
        QUOTA_STATES[u.getState()]));
  }

  public static ReaddirResponse readdir(ReaddirPage p) {
    ReaddirResponse.Builder b = ReaddirResponse.newBuilder().setMore(p.more());
    for (DirEntry e : p.entries()) {
      b.addEntries(io.catena.meta.proto.DirEntry.newBuilder().setName(e.name()).setIno(e.ino())
          .setType(e.type().ordinal()));
    }
    for (Inode i : p.attrs()) {
      b.addAttrs(inode(i));
    }
    if (p.cursor() != null) {
      b.setCursor(p.cursor());
    }
    return b.build();
  }

  public static ReaddirPage readdir(ReaddirResponse r) {
    List<DirEntry> entries = new ArrayList<>(r.getEntriesCount());
    for (io.catena.meta.proto.DirEntry e : r.getEntriesList()) {
      entries.add(new DirEntry(e.getName(), e.getIno(), type(e.getType())));
    }
    List<Inode> attrs = new ArrayList<>(r.getAttrsCount());
    for (io.catena.meta.proto.Inode i : r.getAttrsList()) {
      attrs.add(inode(i));
    }
    return new ReaddirPage(entries, attrs, r.hasCursor() ? r.getCursor() : null, r.getMore());
  }

  /** Fills the optional fields of a setattr request from {@code a}. */
  public static SetattrRequest.Builder setattr(SetattrRequest.Builder b, SetAttr a) {
    if (a.mode() != null) {
      b.setMode(a.mode());
    }
    if (a.uid() != null) {
      b.setUid(a.uid());
    }
    if (a.gid() != null) {
      b.setGid(a.gid());
    }
    if (a.length() != null) {
      b.setLength(a.length());
    }
    if (a.atime() != null) {
      b.setAtime(a.atime());
    }
    if (a.mtime() != null) {
      b.setMtime(a.mtime());
    }
    if (a.layout() != null) {
      b.setLayout(layout(a.layout()));
    }
    return b.setWriteSession(a.writeSession()).setKillSuidgid(a.killSuidgid());
  }

  public static SetAttr setattr(SetattrRequest r) {
    return new SetAttr(r.hasMode() ? r.getMode() : null, r.hasUid() ? r.getUid() : null,
        r.hasGid() ? r.getGid() : null, r.hasLength() ? r.getLength() : null, r.hasAtime() ? r.getAtime() : null,
        r.hasMtime() ? r.getMtime() : null, r.hasLayout() ? layout(r.getLayout()) : null, r.getWriteSession(),
        r.getKillSuidgid());
  }

  public static LockReq lock(LockRequest l) {
    return LockReq.newBuilder().setClientId(l.clientId()).setOwner(l.owner()).setKind(l.kind().ordinal())
        .setType(l.type().ordinal()).setStart(l.start()).setLength(l.length()).build();
  }

  public static LockRequest lock(LockReq l) {
    if (l.getKind() >= KINDS.length || l.getType() >= LOCK_TYPES.length) {
      throw CatenaException.of(Errno.EINVAL, "unknown lock kind %d or type %d", l.getKind(), l.getType());
    }
    return new LockRequest(l.getClientId(), l.getOwner(), KINDS[l.getKind()], LOCK_TYPES[l.getType()], l.getStart(),
        l.getLength());
  }

  public static io.catena.meta.proto.FileLock fileLock(FileLock f) {
    return io.catena.meta.proto.FileLock.newBuilder().setClientId(f.clientId()).setOwner(f.owner())
        .setKind(f.kind().ordinal()).setType(f.type().ordinal()).setStart(f.start()).setEnd(f.end()).build();
  }

  public static FileLock fileLock(io.catena.meta.proto.FileLock f) {
    if (f.getKind() >= KINDS.length || f.getType() >= LOCK_TYPES.length) {
      throw CatenaException.of(Errno.EPROTO, "unknown lock kind %d or type %d", f.getKind(), f.getType());
    }
    return new FileLock(f.getClientId(), f.getOwner(), KINDS[f.getKind()], LOCK_TYPES[f.getType()], f.getStart(),
        f.getEnd());
  }

  /** The caller field ({@code User user}) of a request message, if its type has one. */
  public static Optional<FieldDescriptor> userField(Message req) {
    FieldDescriptor f = req.getDescriptorForType().findFieldByName("user");
    return f != null && f.getJavaType() == FieldDescriptor.JavaType.MESSAGE
        && f.getMessageType() == User.getDescriptor() ? Optional.of(f) : Optional.empty();
  }

  /** The caller a request names, if its type has a caller field. */
  public static Optional<User> callerOf(Message req) {
    return userField(req).map(f -> (User) req.getField(f));
  }

  /** {@code req} with its caller replaced by what {@code change} makes of it; {@code req} itself if it has none. */
  public static <Req extends Message> Req withUser(Req req, UnaryOperator<User> change) {
    Optional<FieldDescriptor> f = userField(req);
    if (f.isEmpty()) {
      return req;
    }
    @SuppressWarnings("unchecked")
    Req out = (Req) req.toBuilder().setField(f.get(), change.apply((User) req.getField(f.get()))).build();
    return out;
  }

  /**
   * A string for the wire: null becomes "" (every operation treats a null and an empty name alike: ENOENT), and a
   * string that is not well-formed UTF-16 fails with EILSEQ here, because protobuf would silently replace its lone
   * surrogates with '?' and the server would act on a different name than the caller gave.
   */
  public static String str(String s) {
    if (s == null) {
      return "";
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw CatenaException.of(Errno.EILSEQ, "string is not valid UTF-16");
      }
    }
    return s;
  }
}
