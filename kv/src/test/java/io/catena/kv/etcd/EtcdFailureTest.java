package io.catena.kv.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.kv.CommitUnknownException;
import io.catena.kv.KvEngine;
import io.catena.kv.KvEngines;
import io.catena.kv.ReadTransaction;
import io.catena.kv.ReadWriteTransaction;
import io.catena.kv.TransactionRunner;
import io.etcd.jetcd.api.AuthEnableRequest;
import io.etcd.jetcd.api.AuthGrpc;
import io.etcd.jetcd.api.AuthRoleAddRequest;
import io.etcd.jetcd.api.AuthRoleGrantPermissionRequest;
import io.etcd.jetcd.api.AuthUserAddRequest;
import io.etcd.jetcd.api.AuthUserGrantRoleRequest;
import io.etcd.jetcd.api.Permission;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The etcd engine when etcd misbehaves: a member killed with SIGKILL in the middle of a commit loop, a three-member
 * cluster losing a member, and authentication. Each test runs its own etcd.
 */
class EtcdFailureTest {

  @BeforeAll
  static void quiet() {
    TestLogs.quietGrpc();
  }

  private static byte[] b(String s) {
    return s.getBytes(UTF_8);
  }

  private static Config fast() {
    return EtcdKvEngineTest.config(Map.of("kv.etcd.request_timeout", "1s", "kv.etcd.connect_timeout", "500ms"));
  }

  @Test
  void killDashNine_midCommitLoop_endsInUnknownOrRetryable_withinTheRequestTimeout_andLosesNoAcknowledgedCommit()
      throws Exception {
    try (EtcdProcess etcd = EtcdProcess.start();
        KvEngine kv = KvEngines.open(etcd.url("kill"), fast())) {
      AtomicInteger acked = new AtomicInteger();
      CompletableFuture<CatenaException> failure = CompletableFuture.supplyAsync(() -> {
        for (int i = 0; ; i++) {
          try (ReadWriteTransaction t = kv.beginReadWrite()) {
            t.get(b("k/" + (i - 1)));
            t.set(b("k/" + i), b("v"));
            t.commit();
            acked.set(i + 1);
          } catch (CatenaException e) {
            return e;
          }
        }
      });
      while (acked.get() < 50) {
        assertFalse(failure.isDone(), () -> "failed before the kill: " + failure.join());
        Thread.sleep(5);
      }
      long killed = System.nanoTime();
      etcd.kill(0);
      CatenaException e = failure.get(10, TimeUnit.SECONDS);
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
      assertTrue(e instanceof CommitUnknownException || e.isRetryable(), e.toString());
      assertTrue(tookMs < 3000, "bounded by kv.etcd.request_timeout (1 s): took " + tookMs + " ms");
      // While etcd is down every call fails fast and retryably.
      long t0 = System.nanoTime();
      CatenaException down = assertThrows(CatenaException.class, () -> {
        try (ReadTransaction t = kv.beginRead()) {
          t.snapshotGet(b("k/0")); // a begin sends nothing: the first read meets the dead member
        }
      });
      assertTrue(down.isRetryable(), down.toString());
      assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(3));

      etcd.restart(0);
      awaitReachable(kv);
      int n = acked.get();
      long recovered = TransactionRunner.withDefaults(kv).read(t -> {
        long c = 0;
        for (int i = 0; i < n; i++) {
          c += t.snapshotGet(b("k/" + i)).isPresent() ? 1 : 0;
        }
        return c;
      });
      assertEquals(n, recovered, "every acknowledged commit survives the kill");
    }
  }

  /**
   * Polls a read until the restarted member answers: the client's gRPC channel reconnects on its own backoff after
   * the member is back, and calls meanwhile fail fast and retryably (asserted above), faster than a runner's attempts.
   */
  private static void awaitReachable(KvEngine kv) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try (ReadTransaction t = kv.beginRead()) {
        t.snapshotGet(b("k/0"));
        return;
      } catch (CatenaException e) {
        assertTrue(e.isRetryable() && System.nanoTime() < end, () -> "etcd not reachable again: " + e);
        Thread.sleep(50); // polling the engine until the channel has reconnected, with a deadline
      }
    }
  }

  @Test
  void threeMembers_oneKilled_commitsGoOn_andTheMemberCatchesUp() {
    try (EtcdProcess etcd = EtcdProcess.builder().members(3).start();
        KvEngine kv = KvEngines.open(etcd.url("three"), fast())) {
      assertEquals(3, etcd.size());
      TransactionRunner runner = TransactionRunner.withDefaults(kv);
      for (int i = 0; i < 20; i++) {
        int n = i;
        runner.run(t -> {
          t.set(b("a/" + n), b("v"));
          t.atomicAdd(b("count"), 1);
          return null;
        });
      }
      etcd.kill(0);
      for (int i = 20; i < 40; i++) {
        int n = i;
        runner.run(t -> {
          t.set(b("a/" + n), b("v"));
          t.atomicAdd(b("count"), 1);
          return null;
        });
      }
      etcd.restart(0);
      etcd.kill(1); // the restarted member must now carry the quorum with member 2
      for (int i = 40; i < 50; i++) {
        int n = i;
        runner.run(t -> {
          t.set(b("a/" + n), b("v"));
          t.atomicAdd(b("count"), 1);
          return null;
        });
      }
      try (ReadTransaction t = kv.beginRead()) {
        assertEquals(50, t.snapshotGetRange(b("a/"), b("a0"), 0, false).pairs().size());
        assertEquals(50, io.catena.kv.Keys.counterOf(t.snapshotGet(b("count")).orElseThrow()));
      }
    }
  }

  @Test
  void authentication_userPasswordAndPrefixPermissions() {
    try (EtcdProcess etcd = EtcdProcess.start()) {
      String[] hp = etcd.endpoints().getFirst().split(":");
      ManagedChannel ch = ManagedChannelBuilder.forAddress(hp[0], Integer.parseInt(hp[1])).usePlaintext().build();
      try {
        AuthGrpc.AuthBlockingStub auth = AuthGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS);
        auth.userAdd(AuthUserAddRequest.newBuilder().setName("root").setPassword("rootpw").build());
        auth.userGrantRole(AuthUserGrantRoleRequest.newBuilder().setUser("root").setRole("root").build());
        // A user limited to the key space of prefix "team/a": everything the engine keeps is under "team/a:".
        auth.roleAdd(AuthRoleAddRequest.newBuilder().setName("team-a").build());
        auth.roleGrantPermission(AuthRoleGrantPermissionRequest.newBuilder().setName("team-a").setPerm(
            Permission.newBuilder().setPermType(Permission.Type.READWRITE).setKey(ByteString.copyFromUtf8("team/a:"))
                .setRangeEnd(ByteString.copyFromUtf8("team/a;"))).build());
        auth.userAdd(AuthUserAddRequest.newBuilder().setName("catena").setPassword("s3cret").build());
        auth.userGrantRole(AuthUserGrantRoleRequest.newBuilder().setUser("catena").setRole("team-a").build());
        auth.authEnable(AuthEnableRequest.getDefaultInstance());
      } finally {
        ch.shutdownNow();
      }
      Config catena = EtcdKvEngineTest.config(Map.of("kv.etcd.user", "catena", "kv.etcd.password", "s3cret"));
      try (KvEngine kv = KvEngines.open(etcd.url("team/a"), catena)) {
        try (ReadWriteTransaction t = kv.beginReadWrite()) {
          t.set(b("x"), b("1"));
          t.set(b("y"), b("1"));
          t.commit();
        }
        try (ReadWriteTransaction t = kv.beginReadWrite()) {
          t.getRange(b("a"), b("z"), 0, false);
          t.clear(b("y")); // a marker with a lease: needs the same permissions, nothing more
          t.addWriteConflictKey(b("x"));
          t.commit();
        }
        try (ReadTransaction t = kv.beginRead()) {
          assertEquals(List.of("x"), t.snapshotGetRange(b("a"), b("z"), 0, false).pairs().stream()
              .map(p -> new String(p.key(), UTF_8)).toList());
        }
      }
      List<String> problems = new ArrayList<>();
      CatenaException wrongPrefix = assertThrows(CatenaException.class,
          () -> KvEngines.open(etcd.url("team/b"), catena));
      CatenaException wrongPassword = assertThrows(CatenaException.class, () -> KvEngines.open(etcd.url("team/a"),
          EtcdKvEngineTest.config(Map.of("kv.etcd.user", "catena", "kv.etcd.password", "guess"))));
      CatenaException noUser = assertThrows(CatenaException.class, () -> KvEngines.open(etcd.url("team/a"), null));
      for (CatenaException e : List.of(wrongPrefix, wrongPassword, noUser)) {
        if (e.errno() != Errno.EACCES || e.isRetryable() || !e.getMessage().contains("kv.etcd.")) {
          problems.add(e.toString());
        }
      }
      assertTrue(problems.isEmpty(), problems.toString());
      assertTrue(wrongPassword.getMessage().contains("kv.etcd.password"), wrongPassword.getMessage());
      assertFalse(wrongPassword.getMessage().contains("guess"), "never echo the password");
    }
  }
}
