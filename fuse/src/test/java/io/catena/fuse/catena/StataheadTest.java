package io.catena.fuse.catena;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.meta.DirEntry;
import io.catena.meta.Inode;
import io.catena.meta.InodeType;
import io.catena.meta.ReaddirPage;
import io.catena.meta.UserInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Statahead's rules over a directory in memory, a manual clock and fetches that run on the caller's thread. */
class StataheadTest {
  private static final long DIR = 7;
  private static final long TTL = 1_000_000_000L;
  private static final UserInfo USER = UserInfo.of(1000, 1000, new int[0]);

  private final TreeMap<String, Inode> names = new TreeMap<>();
  private final AtomicLong clock = new AtomicLong(1_000_000_000_000L);
  private final AtomicInteger pagesRead = new AtomicInteger();
  private final AtomicInteger window = new AtomicInteger(100);
  /** Runs inside a page read, as a change that commits while the page is in flight. */
  private Consumer<String> duringRead = cursor -> {};
  private boolean denied;
  private final Statahead statahead = new Statahead(this::page, Runnable::run, clock::get, () -> TTL, window::get);

  StataheadTest() {
    for (int i = 0; i < 1000; i++) {
      names.put(name(i), file(100 + i, 1));
    }
  }

  private static String name(int i) {
    return String.format("f%04d", i);
  }

  private static Inode file(long ino, int nlink) {
    return new Inode(ino, InodeType.FILE, 0644, 0, 0, nlink, 0, 0, 0, 0, 0, 0, null, null, 0, null);
  }

  private ReaddirPage page(UserInfo user, long dir, String cursor, int limit) {
    assertEquals(DIR, dir);
    pagesRead.incrementAndGet();
    duringRead.accept(cursor);
    if (denied) {
      throw CatenaException.of(Errno.EACCES, "no read permission");
    }
    List<DirEntry> entries = new ArrayList<>();
    List<Inode> attrs = new ArrayList<>();
    Map<String, Inode> after = cursor == null ? names : names.tailMap(cursor, false);
    int pageSize = Math.min(limit, 64); // meta caps a page below what statahead asks for
    for (Map.Entry<String, Inode> e : after.entrySet()) {
      if (entries.size() == pageSize) {
        break;
      }
      entries.add(new DirEntry(e.getKey(), e.getValue().id(), InodeType.FILE));
      attrs.add(e.getValue());
    }
    boolean more = !entries.isEmpty() && names.higherKey(entries.getLast().name()) != null;
    return new ReaddirPage(entries, attrs, more ? entries.getLast().name() : null, more);
  }

  /** Looks up names {@code from}..{@code to} - 1 in order; returns how many were answered by statahead. */
  private int lookupRange(int from, int to) {
    int hits = 0;
    for (int i = from; i < to; i++) {
      Statahead.Hit h = statahead.lookup(DIR, name(i), USER);
      if (h != null) {
        assertEquals(100 + i, h.attrs().id(), name(i));
        hits++;
      }
    }
    return hits;
  }

  @Test
  void lookupsInNameOrder_areAnsweredFromWindowsFetchedAhead() {
    int hits = lookupRange(0, 1000);
    // The first misses start a window after the name missed; a hit halfway through each window fetches the next.
    assertEquals(1000 - Statahead.SEQUENTIAL_MISSES, hits);
    assertEquals(hits, statahead.answered());
    assertEquals(Statahead.SEQUENTIAL_MISSES, statahead.missed());
    assertEquals(1000 - Statahead.SEQUENTIAL_MISSES, statahead.fetched());
    int windows = Math.ceilDiv(1000 - Statahead.SEQUENTIAL_MISSES, window.get());
    assertEquals(2 * windows, pagesRead.get(), "windows of 100 entries in pages of at most 64");
  }

  @Test
  void lookupsOutOfOrder_fetchAtMostOneWindowPerTimeout() {
    java.util.Random random = new java.util.Random(42);
    for (int i = 0; i < 2000; i++) {
      statahead.lookup(DIR, name(random.nextInt(1000)), USER);
    }
    assertEquals(2, pagesRead.get(), "one window of two pages (names ascending by chance), then quiet");
  }

  @Test
  void anEntryAnswersOnlyWithinTheTimeout_andSaysHowOldItIs() {
    lookupRange(0, Statahead.SEQUENTIAL_MISSES);
    clock.addAndGet(TTL / 4);
    Statahead.Hit h = statahead.lookup(DIR, name(10), USER);
    assertNotNull(h);
    assertEquals(TTL / 4, h.ageNanos());
    clock.addAndGet(TTL);
    assertNull(statahead.lookup(DIR, name(11), USER), "older than the timeouts");
  }

  @Test
  void aNameChangedThroughTheMount_isNotAnsweredFromAnEarlierPage() {
    lookupRange(0, Statahead.SEQUENTIAL_MISSES);
    clock.incrementAndGet();
    statahead.forgetName(DIR, name(10));
    assertNull(statahead.lookup(DIR, name(10), USER));
    // A change that commits while a page is being read: the page, older than the change, must not bring it back.
    duringRead = cursor -> {
      clock.incrementAndGet();
      statahead.forgetName(DIR, name(2000));
    };
    names.put(name(2000), file(5000, 1));
    clock.addAndGet(TTL); // the first window answered nothing: statahead is quiet for a timeout
    lookupRange(900, 900 + Statahead.SEQUENTIAL_MISSES);
    assertNull(statahead.lookup(DIR, name(2000), USER));
    assertNotNull(statahead.lookup(DIR, name(950), USER), "the rest of that page answers");
  }

  @Test
  void attributesChangedThroughTheMount_areNotAnsweredUntilFetchedAgain() {
    lookupRange(0, Statahead.SEQUENTIAL_MISSES);
    clock.incrementAndGet();
    statahead.touched(100 + 10);
    assertNull(statahead.lookup(DIR, name(10), USER));
    assertNotNull(statahead.lookup(DIR, name(11), USER));
    clock.incrementAndGet();
    statahead.touchedAll();
    assertNull(statahead.lookup(DIR, name(12), USER));
  }

  @Test
  void filesWithSeveralLinks_areAlwaysAskedFor() {
    names.put(name(10), file(110, 2));
    lookupRange(0, Statahead.SEQUENTIAL_MISSES);
    assertNull(statahead.lookup(DIR, name(10), USER));
    assertNotNull(statahead.lookup(DIR, name(11), USER));
  }

  @Test
  void aWindowThatFindsNothing_isNotRetriedOnEveryMiss() {
    names.clear(); // a loop creating f0000, f0001, ... looks each new name up first
    for (int i = 0; i < 500; i++) {
      assertNull(statahead.lookup(DIR, name(i), USER));
    }
    assertEquals(1, pagesRead.get());
    clock.addAndGet(TTL);
    lookupRange(500, 500 + Statahead.SEQUENTIAL_MISSES);
    assertEquals(2, pagesRead.get(), "tried again once a timeout later");
  }

  @Test
  void aDirectoryThatCannotBeRead_fallsBackToLookups() {
    denied = true;
    assertEquals(0, lookupRange(0, 100));
  }

  @Test
  void windowZero_turnsItOff() {
    window.set(0);
    assertEquals(0, lookupRange(0, 100));
    assertEquals(0, pagesRead.get());
  }
}
