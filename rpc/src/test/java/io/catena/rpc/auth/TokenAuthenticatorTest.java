package io.catena.rpc.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Status;
import io.catena.common.cluster.UserAccount;
import io.catena.common.time.ManualClock;
import io.catena.rpc.BuiltinService;
import io.catena.rpc.MethodDescriptor;
import io.catena.rpc.proto.PingRequest;
import io.catena.rpc.proto.PingResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TokenAuthenticatorTest {
  private static final MethodDescriptor<PingRequest, PingResponse> USER_CALL =
      MethodDescriptor.of(7, 1, "t.S/UserCall", PingRequest.getDefaultInstance(), PingResponse.getDefaultInstance());
  private static final MethodDescriptor<PingRequest, PingResponse> ADMIN_CALL =
      MethodDescriptor.of(7, 2, "t.S/AdminCall", PingRequest.getDefaultInstance(), PingResponse.getDefaultInstance());
  private static final UserAccount ALICE = new UserAccount(1000, "alice", 1000, List.of(), false);
  private static final UserAccount ROOT = new UserAccount(0, "root", 0, List.of(), true);

  private final ManualClock clock = new ManualClock();
  private final Map<String, UserAccount> users = new ConcurrentHashMap<>(Map.of("alice-t", ALICE, "root-t", ROOT));
  private final AtomicInteger lookups = new AtomicInteger();
  private volatile boolean mgmtdDown;

  private final TokenAuthenticator auth = new TokenAuthenticator(token -> {
    lookups.incrementAndGet();
    if (mgmtdDown) {
      return CompletableFuture.failedFuture(CatenaException.retryable(Errno.ECONNREFUSED, "mgmtd down"));
    }
    UserAccount u = users.get(token);
    return u != null ? CompletableFuture.completedFuture(u)
        : CompletableFuture.failedFuture(CatenaException.of(Errno.EKEYREJECTED, "unknown token"));
  }, m -> m == ADMIN_CALL ? TokenAuthenticator.Access.ADMIN : TokenAuthenticator.Access.USER, clock,
      Duration.ofSeconds(5));

  private Optional<UserAccount> call(String token, MethodDescriptor<?, ?> m) {
    return auth.authenticate(token.getBytes(StandardCharsets.UTF_8), null, m).join();
  }

  private Status refusal(String token, MethodDescriptor<?, ?> m) {
    CompletionException e = assertThrows(CompletionException.class, () -> call(token, m));
    return CatenaException.statusOf(e);
  }

  @Test
  void knownToken_identifiesItsUser() {
    assertEquals(Optional.of(ALICE), call("alice-t", USER_CALL));
  }

  @Test
  void missingOrUnknownToken_isRefusedWithEacces() {
    assertEquals(Errno.EACCES, refusal("", USER_CALL).code());
    Status wrong = refusal("guess", USER_CALL);
    assertEquals(Errno.EACCES, wrong.code());
    assertTrue(wrong.message().contains("unknown or revoked token"), wrong.message());
  }

  @Test
  void adminMethod_needsAnAdminUser() {
    Status s = refusal("alice-t", ADMIN_CALL);
    assertEquals(Errno.EACCES, s.code());
    assertTrue(s.message().contains("not an admin"), s.message());
    assertEquals(Optional.of(ROOT), call("root-t", ADMIN_CALL));
  }

  @Test
  void builtinService_isOpenWithoutAToken() {
    assertEquals(Optional.empty(), call("", BuiltinService.PING));
  }

  @Test
  void answersAreCached_andARevokedTokenStopsWorkingAfterTheTtl() {
    call("alice-t", USER_CALL);
    call("alice-t", USER_CALL);
    assertEquals(1, lookups.get(), "second request served from the cache");
    users.remove("alice-t");
    clock.advance(Duration.ofSeconds(4));
    assertEquals(Optional.of(ALICE), call("alice-t", USER_CALL), "within the ttl the cached answer holds");
    clock.advance(Duration.ofSeconds(2));
    assertEquals(Errno.EACCES, refusal("alice-t", USER_CALL).code());
  }

  @Test
  void whileMgmtdIsUnreachable_theLastGoodAnswerIsKept_butUnknownTokensFailRetryably() {
    call("alice-t", USER_CALL);
    mgmtdDown = true;
    clock.advance(Duration.ofSeconds(10));
    assertEquals(Optional.of(ALICE), call("alice-t", USER_CALL));
    Status s = refusal("root-t", USER_CALL);
    assertEquals(Errno.EAGAIN, s.code());
    assertTrue(s.retryable());
    mgmtdDown = false;
    assertEquals(Optional.of(ROOT), call("root-t", USER_CALL), "a retryable failure is not cached");
  }
}
