package io.catena.meta.client;

import com.google.protobuf.Message;
import io.catena.meta.Inode;
import io.catena.meta.TrashEntry;
import io.catena.meta.TrashService;
import io.catena.meta.TrashTimeChange;
import io.catena.meta.UserInfo;
import io.catena.meta.proto.GetTrashTimeRequest;
import io.catena.meta.proto.ListTrashRequest;
import io.catena.meta.proto.PurgeTrashRequest;
import io.catena.meta.proto.RestoreTrashRequest;
import io.catena.meta.proto.SetTrashTimeRequest;
import io.catena.meta.rpc.MetaWire;
import io.catena.meta.rpc.TrashMethods;
import io.catena.rpc.MethodDescriptor;
import java.util.List;

/**
 * {@link TrashService} over RPC, through a {@link MetaClient}'s calls (its servers, failover and retries). A restore
 * whose reply is lost and is retried answers ENOENT (the entry is gone: restored by the first attempt).
 * Thread-safe as the client is.
 */
final class TrashClient implements TrashService {
  /** One call with the client's retry policy. */
  interface Caller {
    <Req extends Message, Resp extends Message> Resp call(MethodDescriptor<Req, Resp> method, Req request);
  }

  private final Caller rpc;

  TrashClient(Caller rpc) {
    this.rpc = rpc;
  }

  @Override
  public long getTrashTime(UserInfo user, long ino) {
    return rpc.call(TrashMethods.GET_TRASH_TIME, GetTrashTimeRequest.newBuilder().setUser(MetaWire.user(user))
        .setIno(ino).build()).getSeconds();
  }

  @Override
  public TrashTimeChange setTrashTime(UserInfo user, long ino, long seconds, boolean recursive) {
    return TrashMethods.change(rpc.call(TrashMethods.SET_TRASH_TIME, SetTrashTimeRequest.newBuilder()
        .setUser(MetaWire.user(user)).setIno(ino).setSeconds(seconds).setRecursive(recursive).build()));
  }

  @Override
  public List<TrashEntry> listTrash(UserInfo user, long afterId, int limit) {
    return rpc.call(TrashMethods.LIST_TRASH, ListTrashRequest.newBuilder().setUser(MetaWire.user(user))
        .setAfterId(afterId).setLimit(limit).build()).getEntriesList().stream().map(TrashMethods::entry).toList();
  }

  @Override
  public Inode restore(UserInfo user, long id, String path) {
    RestoreTrashRequest.Builder b = RestoreTrashRequest.newBuilder().setUser(MetaWire.user(user)).setId(id);
    if (path != null) {
      b.setPath(path);
    }
    return MetaWire.inode(rpc.call(TrashMethods.RESTORE_TRASH, b.build()).getInode());
  }

  @Override
  public long purge(UserInfo user, long id, long olderThanSeconds) {
    return rpc.call(TrashMethods.PURGE_TRASH, PurgeTrashRequest.newBuilder().setUser(MetaWire.user(user)).setId(id)
        .setOlderThanSeconds(olderThanSeconds).build()).getPurged();
  }
}
