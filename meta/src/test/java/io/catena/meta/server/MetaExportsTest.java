package io.catena.meta.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.UserAccount;
import io.catena.meta.goal.proto.SetGoalRequest;
import io.catena.meta.proto.SetTrashTimeRequest;
import io.catena.common.time.Deadline;
import io.catena.meta.OpenFlags;
import io.catena.meta.proto.AccessRequest;
import io.catena.meta.proto.CreateRequest;
import io.catena.meta.proto.GetattrRequest;
import io.catena.meta.proto.OpenRequest;
import io.catena.meta.proto.User;
import io.catena.meta.goal.GoalMethods;
import io.catena.meta.rpc.MetaMethods;
import io.catena.meta.rpc.TrashMethods;
import io.catena.mgmtd.exports.ExportPolicy.Need;
import io.catena.mgmtd.exports.ExportRule;
import io.catena.mgmtd.exports.ExportRules;
import io.catena.rpc.MethodDescriptor;
import io.catena.rpc.RpcCall;
import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which meta calls modify (EROFS under ro) and how maproot/mapall change the identity permission checks see. */
class MetaExportsTest {
  private static final UserAccount ADMIN = new UserAccount(0, "root", 0, List.of(), true);
  private static final UserAccount ALICE = new UserAccount(1000, "alice", 1000, List.of(27L), false);

  /** The parts of a call meta's policy reads. */
  private record Call<Req extends Message>(MethodDescriptor<Req, ?> method, Req request,
      Optional<UserAccount> caller) implements RpcCall<Req> {
    @Override public Optional<ByteBuf> attachment() {
      return Optional.empty();
    }

    @Override public ByteBuf takeAttachment() {
      return null;
    }

    @Override public long requestId() {
      return 1;
    }

    @Override public SocketAddress remoteAddress() {
      return new InetSocketAddress("127.0.0.2", 4000);
    }

    @Override public Deadline deadline() {
      return Deadline.none();
    }

    @Override public byte[] authToken() {
      return new byte[0];
    }

    @Override public boolean isCancelled() {
      return false;
    }

    @Override public void onCancel(Runnable action) {}
  }

  private static User user(int uid, int gid, int... groups) {
    User.Builder b = User.newBuilder().setUid(uid).setGid(gid);
    for (int g : groups) {
      b.addGroups(g);
    }
    return b.build();
  }

  private static ExportRule rule(String options) {
    return ExportRules.parse("* / " + options).rules().getFirst();
  }

  private static User userSeenByHandler(Call<CreateRequest> call, ExportRule rule) {
    RpcCall<CreateRequest> mapped = MetaExports.INSTANCE.apply(call, rule);
    return CallerIdentity.effectiveRequest(mapped).getUser();
  }

  @Test
  void modifyingCalls_andOpensForWriting_needAWritableExport() {
    MetaExports p = MetaExports.INSTANCE;
    assertEquals(Need.MODIFY, p.need(new Call<>(MetaMethods.CREATE, CreateRequest.getDefaultInstance(),
        Optional.empty())));
    assertEquals(Need.READ, p.need(new Call<>(MetaMethods.GETATTR, GetattrRequest.getDefaultInstance(),
        Optional.empty())));
    assertEquals(Need.READ, p.need(new Call<>(MetaMethods.OPEN, OpenRequest.newBuilder()
        .setFlags(OpenFlags.O_RDONLY).build(), Optional.empty())));
    assertEquals(Need.MODIFY, p.need(new Call<>(MetaMethods.OPEN, OpenRequest.newBuilder()
        .setFlags(OpenFlags.O_WRONLY).build(), Optional.empty())));
    assertEquals(Need.MODIFY, p.need(new Call<>(MetaMethods.OPEN, OpenRequest.newBuilder()
        .setFlags(OpenFlags.O_RDONLY | OpenFlags.O_TRUNC).build(), Optional.empty())));
    assertEquals(Need.MODIFY, p.need(new Call<>(MetaMethods.ACCESS, AccessRequest.newBuilder().setMask(2).build(),
        Optional.empty())));
    assertEquals(Need.READ, p.need(new Call<>(MetaMethods.ACCESS, AccessRequest.newBuilder().setMask(4).build(),
        Optional.empty())));
  }

  @Test
  void snapshotsTrashAndGoalChanges_modify_andAnyMethodNotKnownToRead_isAModificationToo() {
    MetaExports p = MetaExports.INSTANCE;
    for (MethodDescriptor<?, ?> m : List.of(MetaMethods.SNAPSHOT, TrashMethods.RESTORE_TRASH,
        TrashMethods.PURGE_TRASH, TrashMethods.SET_TRASH_TIME, GoalMethods.SET_GOAL)) {
      assertEquals(Need.MODIFY, p.need(anyCall(m)), m.fullName());
    }
    for (MethodDescriptor<?, ?> m : List.of(TrashMethods.LIST_TRASH, TrashMethods.GET_TRASH_TIME,
        GoalMethods.GET_GOAL, MetaMethods.READDIR, MetaMethods.CLOSE)) {
      assertEquals(Need.READ, p.need(anyCall(m)), m.fullName());
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Call<?> anyCall(MethodDescriptor<?, ?> m) {
    return new Call(m, GetattrRequest.getDefaultInstance(), Optional.empty());
  }

  @Test
  void maproot_squashesRootOnly_throughAnAdminMount() {
    ExportRule squash = rule("rw,maproot=1234:1235");
    CreateRequest asRoot = CreateRequest.newBuilder().setUser(user(0, 0, 0, 1)).build();
    assertEquals(user(1234, 1235), userSeenByHandler(new Call<>(MetaMethods.CREATE, asRoot, Optional.of(ADMIN)),
        squash));
    CreateRequest asBob = CreateRequest.newBuilder().setUser(user(1001, 100, 5)).build();
    assertEquals(user(1001, 100, 5), userSeenByHandler(new Call<>(MetaMethods.CREATE, asBob, Optional.of(ADMIN)),
        squash));
  }

  @Test
  void mapall_mapsAnOrdinaryTokenUser_whateverTheRequestClaims() {
    ExportRule all = rule("rw,mapall=77:88");
    CreateRequest claimsRoot = CreateRequest.newBuilder().setUser(user(0, 0)).build();
    assertEquals(user(77, 88), userSeenByHandler(new Call<>(MetaMethods.CREATE, claimsRoot, Optional.of(ALICE)),
        all));
    assertEquals(user(1000, 1000, 27), userSeenByHandler(new Call<>(MetaMethods.CREATE, claimsRoot,
        Optional.of(ALICE)), rule("rw")), "no mapping: the token's own user, as before");
  }

  @Test
  void goalAndTrashTimeBounds_refuseValuesOutsideThem_withEperm() {
    ExportRule bounded = rule("rw,mingoal=2,maxgoal=3,mintrashtime=1h,maxtrashtime=2d");
    MetaExports.checkBounds(SetGoalRequest.newBuilder().setGoal(2).build(), bounded);
    MetaExports.checkBounds(SetGoalRequest.newBuilder().setGoal(3).build(), bounded);
    CatenaException high = assertThrows(CatenaException.class,
        () -> MetaExports.checkBounds(SetGoalRequest.newBuilder().setGoal(4).build(), bounded));
    assertEquals(Errno.EPERM, high.errno());
    assertTrue(high.getMessage().contains("allows goals 2..3, not 4"), high.getMessage());
    assertEquals(Errno.EPERM, assertThrows(CatenaException.class, () -> MetaExports.checkBounds(
        SetGoalRequest.newBuilder().setGoal(1).build(), bounded)).errno());
    MetaExports.checkBounds(SetTrashTimeRequest.newBuilder().setSeconds(3600).build(), bounded);
    MetaExports.checkBounds(SetTrashTimeRequest.newBuilder().setSeconds(2 * 86400).build(), bounded);
    CatenaException off = assertThrows(CatenaException.class,
        () -> MetaExports.checkBounds(SetTrashTimeRequest.newBuilder().setSeconds(0).build(), bounded));
    assertTrue(off.getMessage().contains("allows trash times 3600s..172800s, not 0s"), off.getMessage());
    assertEquals(Errno.EPERM, assertThrows(CatenaException.class, () -> MetaExports.checkBounds(
        SetTrashTimeRequest.newBuilder().setSeconds(2 * 86400 + 1).build(), bounded)).errno());
    // Without bounds anything the feature allows passes; and the check runs on the way to the handler.
    MetaExports.checkBounds(SetGoalRequest.newBuilder().setGoal(9).build(), rule("rw"));
    assertThrows(CatenaException.class, () -> MetaExports.INSTANCE.apply(new Call<>(GoalMethods.SET_GOAL,
        SetGoalRequest.newBuilder().setGoal(9).build(), Optional.of(ADMIN)), rule("rw,maxgoal=2")));
  }

  @Test
  void theMountedSubdirectory_isReadFromTheUser_andSurvivesMapping() {
    CreateRequest req = CreateRequest.newBuilder().setUser(user(0, 0).toBuilder().setSubdir("/proj//sub/")).build();
    Call<CreateRequest> call = new Call<>(MetaMethods.CREATE, req, Optional.of(ADMIN));
    assertEquals(Optional.of("/proj/sub"), MetaExports.INSTANCE.subdir(call));
    assertEquals("/proj//sub/", userSeenByHandler(call, rule("rw,maproot=5:5")).getSubdir());
    assertEquals("/", MetaExports.subdirOf(GetattrRequest.getDefaultInstance()));
    assertEquals(Errno.EINVAL, assertThrows(CatenaException.class, () -> MetaExports.subdirOf(
        GetattrRequest.newBuilder().setUser(User.newBuilder().setSubdir("/a/../b")).build())).errno());
  }
}
