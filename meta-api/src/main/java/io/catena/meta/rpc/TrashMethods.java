package io.catena.meta.rpc;

import com.google.protobuf.Message;
import io.catena.meta.TrashEntry;
import io.catena.meta.TrashTimeChange;
import io.catena.meta.proto.GetTrashTimeRequest;
import io.catena.meta.proto.InodeResponse;
import io.catena.meta.proto.ListTrashRequest;
import io.catena.meta.proto.ListTrashResponse;
import io.catena.meta.proto.PurgeTrashRequest;
import io.catena.meta.proto.PurgeTrashResponse;
import io.catena.meta.proto.RestoreTrashRequest;
import io.catena.meta.proto.SetTrashTimeRequest;
import io.catena.meta.proto.TrashEntryProto;
import io.catena.meta.proto.TrashTimeChangeResponse;
import io.catena.meta.proto.TrashTimeResponse;
import io.catena.rpc.MethodDescriptor;
import java.util.List;

/**
 * The trash methods of the {@code meta} role ({@link io.catena.meta.TrashService}): service
 * {@link MetaMethods#SERVICE_ID}, method ids 100-104, a range of their own so that methods appended to
 * {@link MetaMethods} never collide with them. Ids are wire format: never reuse or renumber. Also the conversions of
 * their records. Immutable constants; stateless.
 */
public final class TrashMethods {
  public static final MethodDescriptor<GetTrashTimeRequest, TrashTimeResponse> GET_TRASH_TIME =
      m(100, "GetTrashTime", GetTrashTimeRequest.getDefaultInstance(), TrashTimeResponse.getDefaultInstance());
  public static final MethodDescriptor<SetTrashTimeRequest, TrashTimeChangeResponse> SET_TRASH_TIME =
      m(101, "SetTrashTime", SetTrashTimeRequest.getDefaultInstance(), TrashTimeChangeResponse.getDefaultInstance());
  public static final MethodDescriptor<ListTrashRequest, ListTrashResponse> LIST_TRASH =
      m(102, "ListTrash", ListTrashRequest.getDefaultInstance(), ListTrashResponse.getDefaultInstance());
  public static final MethodDescriptor<RestoreTrashRequest, InodeResponse> RESTORE_TRASH =
      m(103, "RestoreTrash", RestoreTrashRequest.getDefaultInstance(), InodeResponse.getDefaultInstance());
  public static final MethodDescriptor<PurgeTrashRequest, PurgeTrashResponse> PURGE_TRASH =
      m(104, "PurgeTrash", PurgeTrashRequest.getDefaultInstance(), PurgeTrashResponse.getDefaultInstance());

  /** Every trash method, for tests that check each one is served. */
  public static final List<MethodDescriptor<?, ?>> ALL = List.of(GET_TRASH_TIME, SET_TRASH_TIME, LIST_TRASH,
      RESTORE_TRASH, PURGE_TRASH);

  private TrashMethods() {}

  private static <Req extends Message, Resp extends Message> MethodDescriptor<Req, Resp> m(int id, String name,
      Req req, Resp resp) {
    return MethodDescriptor.of(MetaMethods.SERVICE_ID, id, MetaMethods.SERVICE_NAME + "/" + name, req, resp);
  }

  public static TrashEntryProto entry(TrashEntry e) {
    return TrashEntryProto.newBuilder().setId(e.id()).setParent(e.parent()).setName(e.name()).setPath(e.path())
        .setDeletedAtNanos(e.deletedAtNanos()).setExpiresAtNanos(e.expiresAtNanos()).setUid(e.uid()).setGid(e.gid())
        .setMode(e.mode()).setLength(e.length()).setMtimeNanos(e.mtimeNanos()).build();
  }

  public static TrashEntry entry(TrashEntryProto p) {
    return new TrashEntry(p.getId(), p.getParent(), p.getName(), p.getPath(), p.getDeletedAtNanos(),
        p.getExpiresAtNanos(), p.getUid(), p.getGid(), p.getMode(), p.getLength(), p.getMtimeNanos());
  }

  public static TrashTimeChangeResponse change(TrashTimeChange c) {
    return TrashTimeChangeResponse.newBuilder().setChanged(c.changed()).setNotChanged(c.notChanged())
        .setNotPermitted(c.notPermitted()).build();
  }

  public static TrashTimeChange change(TrashTimeChangeResponse r) {
    return new TrashTimeChange(r.getChanged(), r.getNotChanged(), r.getNotPermitted());
  }
}
