package io.catena.kv.rocksdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The change feed's promises to loggers: chained entries, bounded memory, and a clear answer when it cannot serve. */
class ChangeFeedTest {
  private static byte[] bytes(int n) {
    return new byte[n];
  }

  @Test
  void readerGetsEveryBatchAfterItsVersion_inOrder_withinItsByteLimit() {
    ChangeFeed f = new ChangeFeed(1000, 10);
    f.append(10, 12, 1, bytes(100));
    f.append(12, 13, 2, bytes(100));
    f.append(13, 17, 3, bytes(100));
    ChangeFeed.Read r = f.since(12, 1000);
    assertEquals(ChangeFeed.Outcome.OK, r.outcome());
    assertEquals(List.of(13L, 17L), r.entries().stream().map(ChangeFeed.Entry::toVersion).toList());
    assertEquals(List.of(12L), f.since(10, 150).entries().stream().map(ChangeFeed.Entry::toVersion).toList());
    assertEquals(List.of(), f.since(17, 1000).entries());
  }

  @Test
  void evictedHistory_isTooOld_andAVersionNeverCommitted_isAhead() {
    ChangeFeed f = new ChangeFeed(250, 0);
    for (int v = 0; v < 10; v++) {
      f.append(v, v + 1, v, bytes(100));
    }
    assertEquals(ChangeFeed.Outcome.TOO_OLD, f.since(5, 1000).outcome(), "only the newest 2 batches fit 250 bytes");
    assertEquals(ChangeFeed.Outcome.OK, f.since(8, 1000).outcome());
    assertEquals(ChangeFeed.Outcome.AHEAD, f.since(11, 1000).outcome());
  }

  @Test
  void aGapRestartsTheFeed_soNoReaderSkipsCommits() {
    ChangeFeed f = new ChangeFeed(1000, 0);
    f.append(0, 1, 0, bytes(10));
    f.append(5, 6, 0, bytes(10)); // 1..5 never appended (a write whose outcome is unknown)
    assertEquals(ChangeFeed.Outcome.TOO_OLD, f.since(1, 1000).outcome());
    assertEquals(ChangeFeed.Outcome.OK, f.since(5, 1000).outcome());
  }

  @Test
  void whenAfter_completesWithTheNextCommit_orAtOnceIfBehind() {
    ChangeFeed f = new ChangeFeed(1000, 3);
    CompletableFuture<Void> w = f.whenAfter(3);
    assertFalse(w.isDone());
    f.append(3, 4, 0, bytes(1));
    assertTrue(w.isDone());
    assertTrue(f.whenAfter(3).isDone());
  }
}
