package io.catena.storage;

import io.catena.common.cluster.ChunkId;
import io.catena.rpc.MethodDescriptor;
import io.catena.storage.proto.ChunkIdP;
import io.catena.storage.proto.CreateTargetReq;
import io.catena.storage.proto.DumpChunkMetaReq;
import io.catena.storage.proto.DumpChunkMetaResp;
import io.catena.storage.proto.OfflineTargetReq;
import io.catena.storage.proto.QueryLastChunkReq;
import io.catena.storage.proto.QueryLastChunkResp;
import io.catena.storage.proto.ReadReq;
import io.catena.storage.proto.ReadResp;
import io.catena.storage.proto.RemoveRangeReq;
import io.catena.storage.proto.RemoveRangeResp;
import io.catena.storage.proto.RemoveTargetReq;
import io.catena.storage.proto.SpaceReq;
import io.catena.storage.proto.SpaceResp;
import io.catena.storage.proto.SyncReq;
import io.catena.storage.proto.SyncResp;
import io.catena.storage.proto.TargetResp;
import io.catena.storage.proto.TruncateReq;
import io.catena.storage.proto.UpdateReq;
import io.catena.storage.proto.UpdateResp;
import io.catena.storage.proto.WriteReq;
import io.catena.storage.proto.WriteResp;

/** The storage service's wire surface (service id 3): method descriptors and id conversions. Stateless. */
public final class StorageRpc {
  private StorageRpc() {}

  public static final int SERVICE_ID = 3;
  private static final String P = "catena.storage.Storage/";

  public static final MethodDescriptor<WriteReq, WriteResp> WRITE =
      MethodDescriptor.of(SERVICE_ID, 1, P + "Write", WriteReq.getDefaultInstance(), WriteResp.getDefaultInstance());
  public static final MethodDescriptor<UpdateReq, UpdateResp> UPDATE = MethodDescriptor.of(SERVICE_ID, 2,
      P + "Update", UpdateReq.getDefaultInstance(), UpdateResp.getDefaultInstance());
  public static final MethodDescriptor<ReadReq, ReadResp> READ =
      MethodDescriptor.of(SERVICE_ID, 3, P + "Read", ReadReq.getDefaultInstance(), ReadResp.getDefaultInstance());
  public static final MethodDescriptor<QueryLastChunkReq, QueryLastChunkResp> QUERY_LAST_CHUNK =
      MethodDescriptor.of(SERVICE_ID, 4, P + "QueryLastChunk", QueryLastChunkReq.getDefaultInstance(),
          QueryLastChunkResp.getDefaultInstance());
  public static final MethodDescriptor<TruncateReq, WriteResp> TRUNCATE = MethodDescriptor.of(SERVICE_ID, 5,
      P + "Truncate", TruncateReq.getDefaultInstance(), WriteResp.getDefaultInstance());
  public static final MethodDescriptor<RemoveRangeReq, RemoveRangeResp> REMOVE_RANGE = MethodDescriptor.of(
      SERVICE_ID, 6, P + "RemoveRange", RemoveRangeReq.getDefaultInstance(), RemoveRangeResp.getDefaultInstance());
  public static final MethodDescriptor<SpaceReq, SpaceResp> SPACE =
      MethodDescriptor.of(SERVICE_ID, 7, P + "Space", SpaceReq.getDefaultInstance(), SpaceResp.getDefaultInstance());
  public static final MethodDescriptor<CreateTargetReq, TargetResp> CREATE_TARGET = MethodDescriptor.of(SERVICE_ID,
      8, P + "CreateTarget", CreateTargetReq.getDefaultInstance(), TargetResp.getDefaultInstance());
  public static final MethodDescriptor<OfflineTargetReq, TargetResp> OFFLINE_TARGET = MethodDescriptor.of(
      SERVICE_ID, 9, P + "OfflineTarget", OfflineTargetReq.getDefaultInstance(), TargetResp.getDefaultInstance());
  public static final MethodDescriptor<RemoveTargetReq, TargetResp> REMOVE_TARGET = MethodDescriptor.of(SERVICE_ID,
      10, P + "RemoveTarget", RemoveTargetReq.getDefaultInstance(), TargetResp.getDefaultInstance());
  public static final MethodDescriptor<DumpChunkMetaReq, DumpChunkMetaResp> DUMP_CHUNK_META = MethodDescriptor.of(
      SERVICE_ID, 11, P + "DumpChunkMeta", DumpChunkMetaReq.getDefaultInstance(),
      DumpChunkMetaResp.getDefaultInstance());
  public static final MethodDescriptor<SyncReq, SyncResp> SYNC_START =
      MethodDescriptor.of(SERVICE_ID, 12, P + "SyncStart", SyncReq.getDefaultInstance(), SyncResp.getDefaultInstance());
  public static final MethodDescriptor<SyncReq, SyncResp> SYNC_DONE =
      MethodDescriptor.of(SERVICE_ID, 13, P + "SyncDone", SyncReq.getDefaultInstance(), SyncResp.getDefaultInstance());

  public static ChunkIdP toProto(ChunkId id) {
    return ChunkIdP.newBuilder().setInode(id.inode()).setIndex(id.index()).build();
  }

  public static ChunkId fromProto(ChunkIdP p) {
    return new ChunkId(p.getInode(), p.getIndex());
  }
}
