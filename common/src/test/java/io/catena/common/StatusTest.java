package io.catena.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.net.Address;
import io.catena.common.time.Deadline;
import io.catena.common.time.ManualClock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class StatusTest {
  @Test
  void errnoValuesAreLinuxOnes() {
    assertEquals(2, Errno.ENOENT.code());
    assertEquals(39, Errno.ENOTEMPTY.code());
    assertEquals(Errno.ELOOP, Errno.fromCode(40));
    assertEquals(Errno.EIO, Errno.fromCode(4095), "unknown codes from a newer peer degrade to EIO");
  }

  @Test
  void notPrimaryCarriesARetryableRedirect() {
    Status s = Status.notPrimary(2, "tcp://127.0.0.1:9000");
    assertTrue(s.retryable());
    assertEquals(2, s.redirect().orElseThrow().nodeId());
    assertTrue(s.toString().contains("ask node 2"), s.toString());
  }

  @Test
  void statusSurvivesFutureWrapping() {
    CompletableFuture<Void> f = new CompletableFuture<>();
    f.completeExceptionally(CatenaException.of(Errno.EACCES, "no"));
    CompletionException ce = assertThrows(CompletionException.class, f::join);
    assertEquals(Errno.EACCES, CatenaException.statusOf(ce).code());
    assertEquals(Errno.EIO, CatenaException.statusOf(new IllegalStateException("x")).code());
  }

  @Test
  void causeIsKept() {
    IllegalStateException cause = new IllegalStateException("disk gone");
    CatenaException e = new CatenaException(Status.of(Errno.EIO, "write failed"), cause);
    assertEquals(cause, e.getCause());
    assertEquals(Errno.EIO, e.errno());
  }

  @Test
  void okStatusCannotBeThrown() {
    assertThrows(IllegalArgumentException.class, () -> new CatenaException(Status.ok()));
  }

  @Test
  void deadlineFollowsTheInjectedClock() {
    ManualClock clock = new ManualClock();
    Deadline d = Deadline.in(clock, Duration.ofSeconds(5));
    assertFalse(d.expired());
    clock.advance(Duration.ofSeconds(4));
    assertEquals(Duration.ofSeconds(1), d.remaining());
    clock.advance(Duration.ofSeconds(1));
    assertTrue(d.expired());
    CatenaException e = assertThrows(CatenaException.class, () -> d.check("commit"));
    assertEquals(Errno.ETIMEDOUT, e.errno());
    assertTrue(e.isRetryable());
  }

  @Test
  void addressesParseWithAndWithoutScheme() {
    assertEquals(Address.tcp("127.0.0.1", 9000), Address.parse("tcp://127.0.0.1:9000"));
    assertEquals(Address.tcp("localhost", 80), Address.parse("localhost:80"));
    assertEquals("tcp://[::1]:7", Address.parse("tcp://[::1]:7").toString());
    assertEquals(Errno.EINVAL, assertThrows(CatenaException.class, () -> Address.parse("rdma://h:1")).errno());
    assertEquals(Errno.EINVAL, assertThrows(CatenaException.class, () -> Address.parse("host")).errno());
    assertEquals(Errno.EINVAL, assertThrows(CatenaException.class, () -> Address.parse("h:99999")).errno());
  }
}
