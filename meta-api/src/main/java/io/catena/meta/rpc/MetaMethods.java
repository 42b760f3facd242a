package io.catena.meta.rpc;

import io.catena.meta.proto.AccessRequest;
import io.catena.meta.proto.BatchGetattrRequest;
import io.catena.meta.proto.BatchGetattrResponse;
import io.catena.meta.proto.CreateRequest;
import io.catena.meta.proto.Empty;
import io.catena.meta.proto.GetLockResponse;
import io.catena.meta.proto.GetattrRequest;
import io.catena.meta.proto.GetxattrRequest;
import io.catena.meta.proto.GetxattrResponse;
import io.catena.meta.proto.InodeResponse;
import io.catena.meta.proto.LengthHintRequest;
import io.catena.meta.proto.LinkRequest;
import io.catena.meta.proto.ListxattrRequest;
import io.catena.meta.proto.ListxattrResponse;
import io.catena.meta.proto.LockCallRequest;
import io.catena.meta.proto.LookupRequest;
import io.catena.meta.proto.MkdirRequest;
import io.catena.meta.proto.MknodRequest;
import io.catena.meta.proto.OpenRequest;
import io.catena.meta.proto.OpenResponse;
import io.catena.meta.proto.ReaddirRequest;
import io.catena.meta.proto.ReaddirResponse;
import io.catena.meta.proto.ReadlinkRequest;
import io.catena.meta.proto.RealpathRequest;
import io.catena.meta.proto.RemoveRecursiveRequest;
import io.catena.meta.proto.RemoveRecursiveResponse;
import io.catena.meta.proto.SnapshotRequest;
import io.catena.meta.proto.SnapshotResponse;
import io.catena.meta.proto.RemoveRequest;
import io.catena.meta.proto.RemovexattrRequest;
import io.catena.meta.proto.RenameRequest;
import io.catena.meta.proto.ResolveRequest;
import io.catena.meta.proto.SetattrRequest;
import io.catena.meta.proto.SetxattrRequest;
import io.catena.meta.proto.StatfsRequest;
import io.catena.meta.proto.StatfsResponse;
import io.catena.meta.proto.StringResponse;
import io.catena.meta.proto.SymlinkRequest;
import io.catena.meta.proto.SyncRequest;
import io.catena.meta.proto.QuotaRequest;
import io.catena.meta.proto.QuotaResponse;
import io.catena.meta.proto.RemoveQuotaResponse;
import io.catena.meta.proto.SetQuotaRequest;
import io.catena.meta.proto.TouchAtimeRequest;
import io.catena.rpc.MethodDescriptor;
import com.google.protobuf.Message;
import java.util.List;

/**
 * The RPC methods of the {@code meta} role (service id 2), one per {@link io.catena.meta.MetaService} method. Method
 * ids are part of the wire format: never reuse or renumber one, only append. Immutable constants.
 */
public final class MetaMethods {
  public static final int SERVICE_ID = 2;
  public static final String SERVICE_NAME = "catena.meta.Meta";

  public static final MethodDescriptor<StatfsRequest, StatfsResponse> STATFS =
      m(1, "Statfs", StatfsRequest.getDefaultInstance(), StatfsResponse.getDefaultInstance());
  public static final MethodDescriptor<LookupRequest, InodeResponse> LOOKUP =
      m(2, "Lookup", LookupRequest.getDefaultInstance(), InodeResponse.getDefaultInstance());
  public static final MethodDescriptor<GetattrRequest, InodeResponse> GETATTR =
      m(3, "Getattr", GetattrRequest.getDefaultInstance(), InodeResponse.getDefaultInstance());
  public static final MethodDescriptor<BatchGetattrRequest, BatchGetattrResponse> BATCH_GETATTR =
      m(4, "BatchGetattr", BatchGetattrRequest.getDefaultInstance(), BatchGetattrResponse.getDefaultInstance());
  public static final MethodDescriptor<CreateRequest, OpenResponse> CREATE =
      m(5, "Create", CreateRequest.getDefaultInstance(), OpenResponse.getDefaultInstance());
  public static final MethodDescriptor<OpenRequest, OpenResponse> OPEN =
      m(6, "Open", OpenRequest.getDefaultInstance(), OpenResponse.getDefaultInstance());
  public static final MethodDescriptor<LengthHintRequest, InodeResponse> LENGTH_HINT =
      m(7, "LengthHint", LengthHintRequest.getDefaultInstance(), InodeResponse.getDefaultInstance());
  public static final MethodDescriptor<SyncRequest, InodeResponse> SYNC =
      m(8, "Sync", SyncRequest.getDefaultInstance(), InodeResponse.getDefaultInstance());
  public static final MethodDescriptor<SyncRequest, InodeResponse> CLOSE =
      m(9, "Close", SyncRequest.getDefaultInstance(), InodeResponse.getDefaultInstance());
  public static final MethodDescriptor<MkdirRequest, InodeResponse> MKDIR =
      m(10, "Mkdir", MkdirRequest.getDefaultInstance(), InodeResponse.getDefaultInstance());
  public static final MethodDescriptor<MknodRequest, InodeResponse> MKNOD =
      m(11, "Mknod", MknodRequest.getDefaultInstance(), InodeResponse.getDefaultInstance());
  public static final MethodDescriptor<SymlinkRequest, InodeResponse> SYMLINK =
      m(12, "Symlink", SymlinkRequest.getDefaultInstance(), InodeResponse.getDefaultInstance());
  public static final MethodDescriptor<ReadlinkRequest, StringResponse> READLINK =
      m(13, "Readlink", ReadlinkRequest.getDefaultInstance(), StringResponse.getDefaultInstance());
  public static final MethodDescriptor<LinkRequest, InodeResponse> LINK =
      m(14, "Link", LinkRequest.getDefaultInstance(), InodeResponse.getDefaultInstance());
  /** Answers the directory's attributes after the removal. */
  public static final MethodDescriptor<RemoveRequest, InodeResponse> UNLINK =
      m(15, "Unlink", RemoveRequest.getDefaultInstance(), InodeResponse.getDefaultInstance());
  public static final MethodDescriptor<RemoveRequest, Empty> RMDIR =
      m(16, "Rmdir", RemoveRequest.getDefaultInstance(), Empty.getDefaultInstance());
  public static final MethodDescriptor<RenameRequest, Empty> RENAME =
      m(17, "Rename", RenameRequest.getDefaultInstance(), Empty.getDefaultInstance());
  public static final MethodDescriptor<ReaddirRequest, ReaddirResponse> READDIR =
      m(18, "Readdir", ReaddirRequest.getDefaultInstance(), ReaddirResponse.getDefaultInstance());
  public static final MethodDescriptor<SetattrRequest, InodeResponse> SETATTR =
      m(19, "Setattr", SetattrRequest.getDefaultInstance(), InodeResponse.getDefaultInstance());
  public static final MethodDescriptor<ResolveRequest, InodeResponse> RESOLVE =
      m(20, "Resolve", ResolveRequest.getDefaultInstance(), InodeResponse.getDefaultInstance());
  public static final MethodDescriptor<RealpathRequest, StringResponse> REALPATH =
      m(21, "Realpath", RealpathRequest.getDefaultInstance(), StringResponse.getDefaultInstance());
  public static final MethodDescriptor<AccessRequest, Empty> ACCESS =
      m(22, "Access", AccessRequest.getDefaultInstance(), Empty.getDefaultInstance());
  public static final MethodDescriptor<GetxattrRequest, GetxattrResponse> GETXATTR =
      m(23, "Getxattr", GetxattrRequest.getDefaultInstance(), GetxattrResponse.getDefaultInstance());
  public static final MethodDescriptor<ListxattrRequest, ListxattrResponse> LISTXATTR =
      m(24, "Listxattr", ListxattrRequest.getDefaultInstance(), ListxattrResponse.getDefaultInstance());
  public static final MethodDescriptor<SetxattrRequest, Empty> SETXATTR =
      m(25, "Setxattr", SetxattrRequest.getDefaultInstance(), Empty.getDefaultInstance());
  public static final MethodDescriptor<RemovexattrRequest, Empty> REMOVEXATTR =
      m(26, "Removexattr", RemovexattrRequest.getDefaultInstance(), Empty.getDefaultInstance());
  public static final MethodDescriptor<RemoveRecursiveRequest, RemoveRecursiveResponse> REMOVE_RECURSIVE =
      m(27, "RemoveRecursive", RemoveRecursiveRequest.getDefaultInstance(),
          RemoveRecursiveResponse.getDefaultInstance());
  public static final MethodDescriptor<LockCallRequest, Empty> SET_LOCK =
      m(28, "SetLock", LockCallRequest.getDefaultInstance(), Empty.getDefaultInstance());
  public static final MethodDescriptor<LockCallRequest, GetLockResponse> GET_LOCK =
      m(29, "GetLock", LockCallRequest.getDefaultInstance(), GetLockResponse.getDefaultInstance());

  public static final MethodDescriptor<SetQuotaRequest, QuotaResponse> SET_QUOTA =
      m(30, "SetQuota", SetQuotaRequest.getDefaultInstance(), QuotaResponse.getDefaultInstance());
  public static final MethodDescriptor<QuotaRequest, QuotaResponse> GET_QUOTA =
      m(31, "GetQuota", QuotaRequest.getDefaultInstance(), QuotaResponse.getDefaultInstance());
  public static final MethodDescriptor<QuotaRequest, RemoveQuotaResponse> REMOVE_QUOTA =
      m(32, "RemoveQuota", QuotaRequest.getDefaultInstance(), RemoveQuotaResponse.getDefaultInstance());
  public static final MethodDescriptor<TouchAtimeRequest, Empty> TOUCH_ATIME =
      m(33, "TouchAtime", TouchAtimeRequest.getDefaultInstance(), Empty.getDefaultInstance());
  // Ids from 60 on: the snapshot group (docs/snapshots.md), apart from the other groups' ids.
  public static final MethodDescriptor<SnapshotRequest, SnapshotResponse> SNAPSHOT =
      m(60, "Snapshot", SnapshotRequest.getDefaultInstance(), SnapshotResponse.getDefaultInstance());

  /** Every method, for tests that check each one is served. */
  public static final List<MethodDescriptor<?, ?>> ALL = List.of(STATFS, LOOKUP, GETATTR, BATCH_GETATTR, CREATE, OPEN,
      LENGTH_HINT, SYNC, CLOSE, MKDIR, MKNOD, SYMLINK, READLINK, LINK, UNLINK, RMDIR, RENAME, READDIR, SETATTR,
      RESOLVE, REALPATH, ACCESS, GETXATTR, LISTXATTR, SETXATTR, REMOVEXATTR, REMOVE_RECURSIVE, SET_LOCK, GET_LOCK,
      SET_QUOTA, GET_QUOTA, REMOVE_QUOTA, TOUCH_ATIME, SNAPSHOT);

  private MetaMethods() {}

  private static <Req extends Message, Resp extends Message> MethodDescriptor<Req, Resp> m(int id, String name,
      Req req, Resp resp) {
    return MethodDescriptor.of(SERVICE_ID, id, SERVICE_NAME + "/" + name, req, resp);
  }
}
