package io.catena.mgmtd.chain;

import static io.catena.common.cluster.LocalTargetState.OFFLINE;
import static io.catena.common.cluster.LocalTargetState.ONLINE;
import static io.catena.common.cluster.LocalTargetState.UPTODATE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChainTarget;
import io.catena.common.cluster.LocalTargetState;
import io.catena.common.cluster.PublicTargetState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ChainStateMachineTest {

  /** Builds a chain from "id:STATE" words, e.g. chain(5, "1:SERVING", "2:OFFLINE"). */
  static ChainInfo chain(long version, String... members) {
    List<ChainTarget> ts = new ArrayList<>();
    for (String m : members) {
      String[] p = m.split(":");
      ts.add(new ChainTarget(Long.parseLong(p[0]), PublicTargetState.valueOf(p[1])));
    }
    return new ChainInfo(7, version, ts);
  }

  static Map<Long, LocalTargetState> reports(Object... idAndState) {
    Map<Long, LocalTargetState> m = new HashMap<>();
    for (int i = 0; i < idAndState.length; i += 2) {
      m.put(((Number) idAndState[i]).longValue(), (LocalTargetState) idAndState[i + 1]);
    }
    return m;
  }

  /**
   * Every (public, local) pair in two contexts: "pred serving" = the member sits behind two healthy serving members;
   * "none serving" = the member is first and the two others are down and offline. A null local means no report.
   */
  static Stream<Arguments> everyPair() {
    return Stream.of(
        Arguments.of("pred serving", "SERVING", UPTODATE, "SERVING"),
        Arguments.of("pred serving", "SERVING", ONLINE, "SERVING"),
        Arguments.of("pred serving", "SERVING", OFFLINE, "OFFLINE"),
        Arguments.of("pred serving", "SERVING", null, "SERVING"),
        Arguments.of("pred serving", "SYNCING", UPTODATE, "SERVING"),
        Arguments.of("pred serving", "SYNCING", ONLINE, "SYNCING"),
        Arguments.of("pred serving", "SYNCING", OFFLINE, "OFFLINE"),
        Arguments.of("pred serving", "SYNCING", null, "SYNCING"),
        Arguments.of("pred serving", "WAITING", UPTODATE, "WAITING"),
        Arguments.of("pred serving", "WAITING", ONLINE, "SYNCING"),
        Arguments.of("pred serving", "WAITING", OFFLINE, "OFFLINE"),
        Arguments.of("pred serving", "WAITING", null, "WAITING"),
        // A lastsrv member next to serving ones only exists after an operator edit: it must sync, not serve.
        Arguments.of("pred serving", "LASTSRV", UPTODATE, "WAITING"),
        Arguments.of("pred serving", "LASTSRV", ONLINE, "WAITING"),
        Arguments.of("pred serving", "LASTSRV", OFFLINE, "LASTSRV"),
        Arguments.of("pred serving", "LASTSRV", null, "LASTSRV"),
        Arguments.of("pred serving", "OFFLINE", UPTODATE, "WAITING"),
        Arguments.of("pred serving", "OFFLINE", ONLINE, "WAITING"),
        Arguments.of("pred serving", "OFFLINE", OFFLINE, "OFFLINE"),
        Arguments.of("pred serving", "OFFLINE", null, "OFFLINE"),
        Arguments.of("none serving", "SERVING", UPTODATE, "SERVING"),
        Arguments.of("none serving", "SERVING", ONLINE, "SERVING"),
        Arguments.of("none serving", "SERVING", OFFLINE, "LASTSRV"),
        Arguments.of("none serving", "SERVING", null, "SERVING"),
        Arguments.of("none serving", "SYNCING", UPTODATE, "SERVING"),
        Arguments.of("none serving", "SYNCING", ONLINE, "WAITING"),
        Arguments.of("none serving", "SYNCING", OFFLINE, "OFFLINE"),
        Arguments.of("none serving", "SYNCING", null, "WAITING"),
        Arguments.of("none serving", "WAITING", UPTODATE, "WAITING"),
        Arguments.of("none serving", "WAITING", ONLINE, "WAITING"),
        Arguments.of("none serving", "WAITING", OFFLINE, "OFFLINE"),
        Arguments.of("none serving", "WAITING", null, "WAITING"),
        Arguments.of("none serving", "LASTSRV", UPTODATE, "SERVING"),
        Arguments.of("none serving", "LASTSRV", ONLINE, "SERVING"),
        Arguments.of("none serving", "LASTSRV", OFFLINE, "LASTSRV"),
        Arguments.of("none serving", "LASTSRV", null, "LASTSRV"),
        Arguments.of("none serving", "OFFLINE", UPTODATE, "WAITING"),
        Arguments.of("none serving", "OFFLINE", ONLINE, "WAITING"),
        Arguments.of("none serving", "OFFLINE", OFFLINE, "OFFLINE"),
        Arguments.of("none serving", "OFFLINE", null, "OFFLINE"));
  }

  @ParameterizedTest(name = "{0}: {1} + {2} -> {3}")
  @MethodSource("everyPair")
  void everyPublicLocalPair_stepsAsTheTableSays(String context, String current, LocalTargetState local,
      String expected) {
    ChainInfo before;
    Map<Long, LocalTargetState> r;
    if (context.equals("pred serving")) {
      before = chain(4, "1:SERVING", "2:SERVING", "3:" + current);
      r = reports(1, UPTODATE, 2, UPTODATE);
    } else {
      before = chain(4, "3:" + current, "1:OFFLINE", "2:OFFLINE");
      r = reports(1, OFFLINE, 2, OFFLINE);
    }
    if (local != null) {
      r.put(3L, local);
    }
    ChainInfo after = ChainStateMachine.next(before, r);
    assertEquals(PublicTargetState.valueOf(expected), after.stateOf(3).orElseThrow(), after.toString());
    if (after.targets().equals(before.targets())) {
      assertSame(before, after, "no change keeps the same chain and version");
    } else {
      assertEquals(before.version() + 1, after.version(), "every change bumps the version by one");
    }
  }

  @Test
  void failedMembersMoveToTheTail_mostRecentLast() {
    ChainInfo c = chain(1, "1:SERVING", "2:SERVING", "3:SERVING");
    c = ChainStateMachine.next(c, reports(1, UPTODATE, 2, OFFLINE, 3, UPTODATE));
    assertEquals(chain(2, "1:SERVING", "3:SERVING", "2:OFFLINE"), c);
    c = ChainStateMachine.next(c, reports(1, UPTODATE, 2, OFFLINE, 3, OFFLINE));
    assertEquals(chain(3, "1:SERVING", "2:OFFLINE", "3:OFFLINE"), c);
    assertEquals(1L, c.head().orElseThrow());
    assertEquals(1L, c.tail().orElseThrow());
  }

  @Test
  void lastServingMemberFails_becomesLastsrv_andTheChainWaitsForIt() {
    ChainInfo c = chain(3, "1:SERVING", "2:OFFLINE", "3:OFFLINE");
    c = ChainStateMachine.next(c, reports(1, OFFLINE, 2, OFFLINE, 3, OFFLINE));
    assertEquals(chain(4, "1:LASTSRV", "2:OFFLINE", "3:OFFLINE"), c);
    assertEquals(Optional.empty(), c.head());
    // A returning non-lastsrv member waits: it missed writes and nobody can sync it.
    c = ChainStateMachine.next(c, reports(1, OFFLINE, 2, ONLINE, 3, OFFLINE));
    assertEquals(chain(5, "2:WAITING", "1:LASTSRV", "3:OFFLINE"), c);
    c = ChainStateMachine.next(c, reports(1, OFFLINE, 2, ONLINE, 3, OFFLINE));
    assertEquals(5, c.version(), "nothing to do until the lastsrv member returns");
    // The lastsrv member returns and serves; the waiting one starts syncing from it in the same scan.
    c = ChainStateMachine.next(c, reports(1, ONLINE, 2, ONLINE, 3, OFFLINE));
    assertEquals(chain(6, "1:SERVING", "2:SYNCING", "3:OFFLINE"), c);
    c = ChainStateMachine.next(c, reports(1, UPTODATE, 2, UPTODATE, 3, OFFLINE));
    assertEquals(chain(7, "1:SERVING", "2:SERVING", "3:OFFLINE"), c);
  }

  @Test
  void allServingFailAtOnce_onlyTheFirstBecomesLastsrv() {
    ChainInfo c = chain(1, "1:SERVING", "2:SERVING", "3:SERVING");
    c = ChainStateMachine.next(c, reports(1, OFFLINE, 2, OFFLINE, 3, OFFLINE));
    assertEquals(chain(2, "1:LASTSRV", "2:OFFLINE", "3:OFFLINE"), c);
  }

  @Test
  void onlyOneMemberSyncsAtATime() {
    ChainInfo c = chain(5, "1:SERVING", "2:OFFLINE", "3:OFFLINE");
    c = ChainStateMachine.next(c, reports(1, UPTODATE, 2, ONLINE, 3, ONLINE));
    assertEquals(chain(6, "1:SERVING", "2:WAITING", "3:WAITING"), c);
    c = ChainStateMachine.next(c, reports(1, UPTODATE, 2, ONLINE, 3, ONLINE));
    assertEquals(chain(7, "1:SERVING", "2:SYNCING", "3:WAITING"), c);
    c = ChainStateMachine.next(c, reports(1, UPTODATE, 2, ONLINE, 3, ONLINE));
    assertEquals(7, c.version());
    c = ChainStateMachine.next(c, reports(1, UPTODATE, 2, UPTODATE, 3, ONLINE));
    assertEquals(chain(8, "1:SERVING", "2:SERVING", "3:SYNCING"), c);
    c = ChainStateMachine.next(c, reports(1, UPTODATE, 2, UPTODATE, 3, UPTODATE));
    assertEquals(chain(9, "1:SERVING", "2:SERVING", "3:SERVING"), c);
  }

  @Test
  void syncSourceFailsMidSync_syncingMemberGoesBackToWaiting() {
    ChainInfo c = chain(7, "1:SERVING", "2:SYNCING", "3:OFFLINE");
    c = ChainStateMachine.next(c, reports(1, OFFLINE, 2, ONLINE, 3, OFFLINE));
    assertEquals(chain(8, "2:WAITING", "1:LASTSRV", "3:OFFLINE"), c);
  }

  @Test
  void syncFinishedJustBeforeTheSourceFailed_syncedMemberServesAndNoLastsrvIsNeeded() {
    ChainInfo c = chain(7, "1:SERVING", "2:SYNCING", "3:OFFLINE");
    c = ChainStateMachine.next(c, reports(1, OFFLINE, 2, UPTODATE, 3, OFFLINE));
    assertEquals(chain(8, "2:SERVING", "3:OFFLINE", "1:OFFLINE"), c);
  }

  @Test
  void staleUptodateReport_countsAsOnline() {
    assertEquals(ONLINE, ChainStateMachine.effectiveLocal(UPTODATE, 6, 7));
    assertEquals(UPTODATE, ChainStateMachine.effectiveLocal(UPTODATE, 7, 7));
    assertEquals(OFFLINE, ChainStateMachine.effectiveLocal(OFFLINE, 1, 7));
    ChainInfo c = chain(7, "1:SERVING", "2:SYNCING");
    ChainInfo after = ChainStateMachine.next(c,
        reports(1, UPTODATE, 2, ChainStateMachine.effectiveLocal(UPTODATE, 5, c.version())));
    assertSame(c, after, "a delayed heartbeat from before the failure must not finish a sync");
  }

  @Test
  void rotateLastsrv_promotesTheFirstWaitingMember_andTheOldOneGoesOffline() {
    ChainInfo c = chain(8, "2:WAITING", "1:LASTSRV", "3:OFFLINE");
    ChainInfo r = ChainStateMachine.rotateLastSrv(c, OptionalLong.empty());
    assertEquals(chain(9, "2:LASTSRV", "3:OFFLINE", "1:OFFLINE"), r);
    r = ChainStateMachine.next(r, reports(1, OFFLINE, 2, ONLINE, 3, OFFLINE));
    assertEquals(chain(10, "2:SERVING", "3:OFFLINE", "1:OFFLINE"), r);
  }

  @Test
  void rotateLastsrv_withoutWaitingMembers_promotesTheMostRecentlyFailed() {
    ChainInfo c = chain(8, "1:LASTSRV", "3:OFFLINE", "2:OFFLINE");
    assertEquals(chain(9, "2:LASTSRV", "3:OFFLINE", "1:OFFLINE"),
        ChainStateMachine.rotateLastSrv(c, OptionalLong.empty()));
    assertEquals(chain(9, "3:LASTSRV", "2:OFFLINE", "1:OFFLINE"),
        ChainStateMachine.rotateLastSrv(c, OptionalLong.of(3)));
  }

  @Test
  void rotateLastsrv_refusesChainsWithoutLastsrv_andBadCandidates() {
    CatenaException e = assertThrows(CatenaException.class,
        () -> ChainStateMachine.rotateLastSrv(chain(2, "1:SERVING", "2:OFFLINE"), OptionalLong.empty()));
    assertEquals(Errno.EINVAL, e.errno());
    e = assertThrows(CatenaException.class,
        () -> ChainStateMachine.rotateLastSrv(chain(2, "1:LASTSRV", "2:OFFLINE"), OptionalLong.of(9)));
    assertEquals(Errno.EINVAL, e.errno());
    e = assertThrows(CatenaException.class,
        () -> ChainStateMachine.rotateLastSrv(chain(2, "1:LASTSRV"), OptionalLong.empty()));
    assertEquals(Errno.EINVAL, e.errno());
  }

  @Test
  void returningMember_goesOfflineToWaitingToSyncing_oneStepPerScan() {
    ChainInfo c = chain(3, "1:SERVING", "2:SERVING", "3:OFFLINE");
    c = ChainStateMachine.next(c, reports(1, UPTODATE, 2, UPTODATE, 3, ONLINE));
    assertEquals(chain(4, "1:SERVING", "2:SERVING", "3:WAITING"), c);
    c = ChainStateMachine.next(c, reports(1, UPTODATE, 2, UPTODATE, 3, ONLINE));
    assertEquals(chain(5, "1:SERVING", "2:SERVING", "3:SYNCING"), c);
  }
}
