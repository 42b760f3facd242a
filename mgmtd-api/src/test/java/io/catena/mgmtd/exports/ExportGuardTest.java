package io.catena.mgmtd.exports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Empty;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.UserAccount;
import io.catena.common.time.Deadline;
import io.catena.rpc.MethodDescriptor;
import io.catena.rpc.RpcCall;
import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ExportGuardTest {
  private static final MethodDescriptor<Empty, Empty> METHOD = MethodDescriptor.of(9, 1, "test/Call",
      Empty.getDefaultInstance(), Empty.getDefaultInstance());
  private static final UserAccount ROOT = new UserAccount(0, "root", 0, List.of(), true);

  /** The parts of a call the guard reads. */
  private record Call(SocketAddress remoteAddress, Optional<UserAccount> caller, boolean fromNode)
      implements RpcCall<Empty> {
    static Call from(String ip, UserAccount user) {
      return new Call(new InetSocketAddress(ip, 5000), Optional.of(user), false);
    }

    @Override public Empty request() {
      return Empty.getDefaultInstance();
    }

    @Override public Optional<ByteBuf> attachment() {
      return Optional.empty();
    }

    @Override public ByteBuf takeAttachment() {
      return null;
    }

    @Override public MethodDescriptor<Empty, ?> method() {
      return METHOD;
    }

    @Override public long requestId() {
      return 1;
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

  private static Errno refused(ExportGuard g, Call c, boolean modifies) {
    return assertThrows(CatenaException.class, () -> g.check(c, modifies)).status().code();
  }

  @Test
  void beforeMgmtdAnswered_clientsWaitRetryably() {
    ExportGuard g = new ExportGuard(Clock.systemUTC());
    CatenaException e = assertThrows(CatenaException.class, () -> g.check(Call.from("127.0.0.1", ROOT), false));
    assertEquals(Errno.EAGAIN, e.status().code());
    assertTrue(e.status().retryable());
  }

  @Test
  void noRulesConfigured_everythingAllowed() {
    ExportGuard g = ExportGuard.open();
    assertEquals(Optional.empty(), g.check(Call.from("10.9.9.9", ROOT), true));
  }

  @Test
  void readOnlyUnmatchedAndUsersAreEnforced_serverTrafficIsNot() {
    ExportGuard g = new ExportGuard(Clock.systemUTC());
    g.update(Optional.of(ExportRules.parse("127.0.0.2 / ro\n127.0.0.3 / rw,users=alice\n127.0.0.1 / rw\n")));
    assertEquals(1, g.check(Call.from("127.0.0.2", ROOT), false).orElseThrow().line());
    assertEquals(Errno.EROFS, refused(g, Call.from("127.0.0.2", ROOT), true));
    assertEquals(Errno.EACCES, refused(g, Call.from("127.0.0.4", ROOT), false));
    assertEquals(Errno.EACCES, refused(g, Call.from("127.0.0.3", ROOT), false));
    UserAccount alice = new UserAccount(1000, "alice", 1000, List.of(), false);
    assertEquals(2, g.check(Call.from("127.0.0.3", alice), true).orElseThrow().line());
    Call node = new Call(new InetSocketAddress("127.0.0.4", 1), Optional.of(ROOT), true);
    assertEquals(Optional.empty(), g.check(node, true), "server-to-server traffic is not a client's");
    g.update(Optional.of(ExportRules.parse("* / rw\n")));
    assertEquals(1, g.check(Call.from("127.0.0.4", ROOT), true).orElseThrow().line(), "new rules apply at once");
  }

  @Test
  void subdirectoryMounts_getTheFirstRuleMatchingAddressUserAndPath() {
    ExportGuard g = new ExportGuard(Clock.systemUTC());
    UserAccount alice = new UserAccount(1000, "alice", 1000, List.of(), false);
    g.update(Optional.of(ExportRules.parse("""
        127.0.0.1 /proj rw,users=alice
        127.0.0.1 /proj ro,alldirs
        127.0.0.1 /home/x rw
        127.0.0.2 / rw,alldirs
        """)));
    assertEquals(1, g.check(Call.from("127.0.0.1", alice), true, Optional.of("/proj")).orElseThrow().line());
    assertEquals(2, g.check(Call.from("127.0.0.1", ROOT), false, Optional.of("/proj")).orElseThrow().line(),
        "users= does not admit root: the next rule for the same path decides");
    assertEquals(Errno.EROFS, assertThrows(CatenaException.class,
        () -> g.check(Call.from("127.0.0.1", alice), true, Optional.of("/proj/a/b"))).status().code());
    assertEquals(3, g.check(Call.from("127.0.0.1", ROOT), true, Optional.of("/home/x")).orElseThrow().line());
    CatenaException root = assertThrows(CatenaException.class,
        () -> g.check(Call.from("127.0.0.1", ROOT), false, Optional.of("/")));
    assertEquals(Errno.EACCES, root.status().code());
    assertTrue(root.getMessage().contains("no export rule for address 127.0.0.1 admits user root and subdirectory /"),
        root.getMessage());
    assertEquals(Errno.EACCES, refusedAt(g, "/home/x/y"), "without alldirs only the path itself");
    assertEquals(Errno.EACCES, refusedAt(g, "/projects"), "a prefix of the name is not a subdirectory");
    assertEquals(4, g.check(Call.from("127.0.0.2", ROOT), true, Optional.of("/any/where")).orElseThrow().line());
    // Storage does not know the mount's subdirectory: the first rule for address and user decides.
    assertEquals(2, g.check(Call.from("127.0.0.1", ROOT), false).orElseThrow().line());
  }

  private static Errno refusedAt(ExportGuard g, String subdir) {
    return assertThrows(CatenaException.class, () -> g.check(Call.from("127.0.0.1", ROOT), false,
        Optional.of(subdir))).status().code();
  }
}
