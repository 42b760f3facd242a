package io.catena.fuse.catena;

import io.catena.common.CatenaException;
import io.catena.meta.DirEntry;
import io.catena.meta.Inode;
import io.catena.meta.ReaddirPage;
import io.catena.meta.UserInfo;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * Directory entries and their attributes fetched in listing pages ahead of the kernel's LOOKUPs, as Lustre's
 * statahead and MooseFS's directory-entry cache do. A loop of stats or removes in listing order ({@code ls -l} of a
 * directory the kernel forgot, {@code rm -r}, {@code find}, a benchmark's stat pass) asks the mount for names one by
 * one; after a few misses in ascending name order in one directory, one readdir page with attributes answers the
 * next hundreds of them without a meta round trip each, and a hit halfway through a window fetches the next one.
 *
 * <p>Consistency: an entry answers only while it is younger than {@code ttlNanos} (the shorter of
 * fuse.entry_timeout and fuse.attr_timeout), and the reply's timeouts are cut by its age, so the kernel holds nothing
 * longer than if it had looked the name up when the page was fetched (what readdirplus does already). Changes through
 * this mount drop what they touch ({@link #forgetName}, {@link #touched}, {@link #touchedAll}), including changes
 * that commit while a page is in flight; changes by other clients show within those timeouts, as with the kernel's
 * own caches. A file with more than one link is never answered from here (an unlink through another name changes its
 * link count). The mount uses it only with {@code default_permissions}: the kernel then checks search permission on
 * the directory before the LOOKUP, which meta would otherwise do.
 *
 * <p>Thread-safe: concurrent maps, each directory's bookkeeping under its own lock; at most one page fetch per
 * directory runs at a time, on {@code fetcher}.
 */
final class Statahead {
  /** Misses in ascending name order in one directory before a window is fetched. */
  static final int SEQUENTIAL_MISSES = 4;
  private static final int MAX_DIRECTORIES = 1024;
  private static final int MAX_TOUCHED = 8192;
  private static final int MAX_ENTRIES = 1 << 18;

  /** Where listing pages come from: meta's readdir with attributes, as {@code user}. */
  interface Pages {
    ReaddirPage read(UserInfo user, long dir, String cursor, int limit);
  }

  /** An answer: the attributes as fetched and how long ago. */
  record Hit(Inode attrs, long ageNanos) {}

  private record Fetched(Inode attrs, long atNanos) {}

  /** One directory's fetched entries and the state of its access pattern. */
  private static final class Dir {
    final ConcurrentHashMap<String, Fetched> byName = new ConcurrentHashMap<>();

    /** Names changed through this mount while a page was in flight, with when: that page must not bring them back. */
    final Map<String, Long> changedAt = new HashMap<>();
    String lastMiss;
    int sequentialMisses;
    /** Where the next window starts (null: the last one reached the end) and the name whose hit fetches it. */
    String nextCursor;
    String refillAt;
    boolean fetching;
    /** No window is started by misses before this. */
    long quietUntil = Long.MIN_VALUE;
    /**
     * Lookups answered and missed since the last window came: a walk in listing order is answered almost always, a
     * random pattern that was ascending by chance mostly misses.
     */
    final AtomicInteger hits = new AtomicInteger();
    int misses;

    boolean paid() {
      return hits.get() > misses;
    }
  }

  private final Pages pages;
  private final Executor fetcher;
  private final LongSupplier nanoTime;
  private final LongSupplier ttlNanos;
  private final IntSupplier window;
  private final ConcurrentHashMap<Long, Dir> dirs = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Long, Long> touchedAt = new ConcurrentHashMap<>();
  private volatile long allTouchedAt = Long.MIN_VALUE;
  private final LongAdder answered = new LongAdder();
  private final LongAdder missedTotal = new LongAdder();
  private final LongAdder fetched = new LongAdder();

  /**
   * @param ttlNanos how long a fetched entry may answer, read at every use (a live configuration change applies)
   * @param window entries per fetch, read at every fetch; 0 turns statahead off
   */
  Statahead(Pages pages, Executor fetcher, LongSupplier nanoTime, LongSupplier ttlNanos, IntSupplier window) {
    this.pages = pages;
    this.fetcher = fetcher;
    this.nanoTime = nanoTime;
    this.ttlNanos = ttlNanos;
    this.window = window;
  }

  /**
   * The fetched attributes of {@code name} in directory {@code dir} (meta ids) if they may answer a lookup now;
   * otherwise null, and the miss counts towards fetching a window as {@code user}.
   */
  Hit lookup(long dir, String name, UserInfo user) {
    if (window.getAsInt() <= 0) {
      return null;
    }
    long now = nanoTime.getAsLong();
    Dir d = dirs.get(dir);
    Fetched f = d == null ? null : d.byName.get(name);
    if (f != null && usable(f, now)) {
      d.hits.incrementAndGet();
      answered.increment();
      refillIfDue(dir, d, name, user);
      return new Hit(f.attrs(), now - f.atNanos());
    }
    missedTotal.increment();
    missed(dir, d, name, user, now);
    return null;
  }

  private boolean usable(Fetched f, long now) {
    Inode i = f.attrs();
    if (now - f.atNanos() >= ttlNanos.getAsLong() || f.atNanos() <= allTouchedAt) {
      return false;
    }
    Long touched = touchedAt.get(i.id());
    return (touched == null || touched < f.atNanos()) && (i.isDirectory() || i.nlink() <= 1);
  }

  private void missed(long dirIno, Dir known, String name, UserInfo user, long now) {
    Dir d = known;
    if (d == null) {
      if (dirs.size() >= MAX_DIRECTORIES) {
        dirs.clear();
      }
      d = dirs.computeIfAbsent(dirIno, k -> new Dir());
    }
    synchronized (d) {
      d.misses++;
      d.sequentialMisses = d.lastMiss != null && name.compareTo(d.lastMiss) > 0 ? d.sequentialMisses + 1 : 1;
      d.lastMiss = name;
      if (d.sequentialMisses < SEQUENTIAL_MISSES || d.fetching || now < d.quietUntil) {
        return;
      }
      // One window started by misses per timeout: names ascending by chance (a random pattern) or a create loop
      // (new names after every listed one) cost one page now and then; a walk in listing order goes on by hits.
      d.quietUntil = now + ttlNanos.getAsLong();
      d.fetching = true;
    }
    fetch(dirIno, d, name, user);
  }

  private void refillIfDue(long dirIno, Dir d, String name, UserInfo user) {
    String cursor;
    synchronized (d) {
      if (d.fetching || d.refillAt == null || name.compareTo(d.refillAt) < 0 || !d.paid()) {
        return;
      }
      cursor = d.nextCursor;
      d.refillAt = null;
      if (cursor == null) {
        return;
      }
      d.fetching = true;
    }
    fetch(dirIno, d, cursor, user);
  }

  /** Fetches the window after {@code cursor} in the background; {@code d.fetching} is set by the caller. */
  private void fetch(long dirIno, Dir d, String cursor, UserInfo user) {
    try {
      fetcher.execute(() -> fetchWindow(dirIno, d, cursor, user));
    } catch (RuntimeException e) {
      synchronized (d) {
        d.fetching = false;
      }
    }
  }

  private void fetchWindow(long dirIno, Dir d, String cursor, UserInfo user) {
    long at = nanoTime.getAsLong();
    int want = window.getAsInt();
    Map<String, Inode> got = new HashMap<>();
    String last = cursor;
    String half = null;
    boolean more = true;
    try {
      while (more && got.size() < want) {
        ReaddirPage page = pages.read(user, dirIno, last, want - got.size());
        for (int i = 0; i < page.entries().size(); i++) {
          DirEntry e = page.entries().get(i);
          got.put(e.name(), page.attrs().get(i));
          if (half == null && got.size() >= want / 2) {
            half = e.name();
          }
          last = e.name();
        }
        more = page.more() && !page.entries().isEmpty();
      }
    } catch (CatenaException e) {
      more = false; // e.g. no read permission on the directory: lookups go to meta one by one
    } finally {
      store(dirIno, d, got, at, more ? last : null, half);
    }
  }

  private void store(long dirIno, Dir d, Map<String, Inode> got, long at, String nextCursor, String refillAt) {
    long now = nanoTime.getAsLong();
    long ttl = ttlNanos.getAsLong();
    fetched.add(got.size());
    synchronized (d) {
      d.fetching = false;
      d.byName.values().removeIf(f -> now - f.atNanos() >= ttl);
      for (Map.Entry<String, Inode> e : got.entrySet()) {
        Long changed = d.changedAt.get(e.getKey());
        if (changed == null || changed < at) {
          d.byName.put(e.getKey(), new Fetched(e.getValue(), at));
        }
      }
      d.changedAt.clear();
      d.hits.set(0);
      d.misses = 0;
      d.nextCursor = nextCursor;
      d.refillAt = nextCursor == null ? null : refillAt;
    }
    if (dirs.get(dirIno) != d) {
      d.byName.clear(); // dropped while fetching (too many directories): not reachable, let it go
    } else if (got.size() > 0 && size() > MAX_ENTRIES) {
      dirs.clear();
    }
  }

  /**
   * Name {@code name} of directory {@code dir} changed through this mount (created, removed, renamed away or over):
   * no fetched entry, nor a page fetched before now, answers for it.
   */
  void forgetName(long dir, String name) {
    Dir d = dirs.get(dir);
    if (d == null) {
      return;
    }
    synchronized (d) {
      if (d.fetching) {
        d.changedAt.put(name, nanoTime.getAsLong());
      }
      Fetched gone = d.byName.remove(name);
      if (gone != null) {
        touched(gone.attrs().id());
      }
    }
  }

  /** Inode {@code ino} (a meta id) changed through this mount: attributes fetched before now no longer answer. */
  void touched(long ino) {
    long now = nanoTime.getAsLong();
    if (touchedAt.size() >= MAX_TOUCHED) {
      long ttl = ttlNanos.getAsLong();
      touchedAt.values().removeIf(t -> now - t >= ttl);
      if (touchedAt.size() >= MAX_TOUCHED) {
        touchedAt.clear(); // then everything fetched before now is void: a touch lost in the clear is covered
        touchedAll();
      }
    }
    touchedAt.put(ino, now);
  }

  /** Something changed through this mount whose reach is not known (a server-side tree removal): drop everything. */
  void touchedAll() {
    allTouchedAt = nanoTime.getAsLong();
  }

  /** Lookups answered from fetched entries so far. */
  long answered() {
    return answered.sum();
  }

  /** Lookups that found no usable entry so far (statahead on). */
  long missed() {
    return missedTotal.sum();
  }

  /** Entries fetched in windows so far. */
  long fetched() {
    return fetched.sum();
  }

  /** Entries held now. */
  int size() {
    int n = 0;
    for (Dir d : dirs.values()) {
      n += d.byName.size();
    }
    return n;
  }
}
