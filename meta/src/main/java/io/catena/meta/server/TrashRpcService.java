package io.catena.meta.server;

import static io.catena.meta.rpc.MetaWire.user;

import com.google.protobuf.Message;
import io.catena.meta.TrashService;
import io.catena.meta.proto.ListTrashResponse;
import io.catena.meta.proto.PurgeTrashResponse;
import io.catena.meta.proto.TrashTimeResponse;
import io.catena.meta.rpc.MetaWire;
import io.catena.meta.rpc.TrashMethods;
import io.catena.rpc.MethodDescriptor;
import io.catena.rpc.RpcHandler;
import io.catena.rpc.RpcReply;
import io.catena.rpc.ServiceDefinition;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Binds the trash methods ({@link TrashMethods}) of a {@link TrashService} into the meta service definition, on
 * the worker pool (each is one or more KV transactions), with the caller pinned as for every meta method
 * ({@link CallerIdentity}): a user's token lists, restores and purges as that user. Stateless.
 */
final class TrashRpcService {
  /** Entries one list call returns at most, whatever the request asks: a reply stays small. */
  static final int MAX_LIST = 1000;

  private TrashRpcService() {}

  static void bind(ServiceDefinition.Builder b, TrashService t) {
    on(b, TrashMethods.GET_TRASH_TIME, r -> TrashTimeResponse.newBuilder()
        .setSeconds(t.getTrashTime(user(r.getUser()), r.getIno())).build());
    on(b, TrashMethods.SET_TRASH_TIME, r -> TrashMethods.change(t.setTrashTime(user(r.getUser()), r.getIno(),
        r.getSeconds(), r.getRecursive())));
    on(b, TrashMethods.LIST_TRASH, r -> {
      ListTrashResponse.Builder out = ListTrashResponse.newBuilder();
      int limit = r.getLimit() <= 0 ? MAX_LIST : Math.min(r.getLimit(), MAX_LIST);
      t.listTrash(user(r.getUser()), r.getAfterId(), limit).forEach(e -> out.addEntries(TrashMethods.entry(e)));
      return out.build();
    });
    on(b, TrashMethods.RESTORE_TRASH, r -> MetaWire.inodeResponse(t.restore(user(r.getUser()), r.getId(),
        r.hasPath() ? r.getPath() : null)));
    on(b, TrashMethods.PURGE_TRASH, r -> PurgeTrashResponse.newBuilder()
        .setPurged(t.purge(user(r.getUser()), r.getId(), r.getOlderThanSeconds())).build());
  }

  private static <Req extends Message, Resp extends Message> void on(ServiceDefinition.Builder b,
      MethodDescriptor<Req, Resp> method, Function<Req, Resp> body) {
    RpcHandler<Req, Resp> h = call -> CompletableFuture.completedFuture(
        RpcReply.of(body.apply(CallerIdentity.effectiveRequest(call))));
    b.method(method, h);
  }
}
