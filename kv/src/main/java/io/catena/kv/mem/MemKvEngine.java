package io.catena.kv.mem;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.kv.CommitUnknownException;
import io.catena.kv.KvConfig;
import io.catena.kv.KvEngine;
import io.catena.kv.KvFaults;
import io.catena.kv.Keys;
import io.catena.kv.ReadTransaction;
import io.catena.kv.ReadWriteTransaction;
import io.catena.kv.core.CommitRequest;
import io.catena.kv.core.EngineCore;
import io.catena.kv.core.Resolver;
import io.catena.kv.core.Snapshot;
import io.catena.kv.core.Transaction;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The {@code mem://} engine: multi-version data in memory, for tests. Each key maps to a chain of versions, newest
 * first; a reader at version R takes the newest entry with version {@code <= R}, so readers never lock. Commits
 * are serialised by one lock (resolve, apply at version V, then publish V), which is plenty for tests and keeps the
 * engine obviously correct. Versions older than the resolver's window are garbage-collected incrementally: each
 * commit queues the keys it touched, and once a commit falls out of the window its keys' chains are cut below the
 * newest entry at or under the horizon (readers below the horizon get "transaction too old", checked after each
 * read). Thread-safe: any number of threads may run transactions.
 */
public final class MemKvEngine implements KvEngine, EngineCore {

  /** One version of one key; {@code value == null} is a deletion. {@code older} is cut by garbage collection. */
  private static final class Version {
    final long version;
    final byte[] value;
    Version older;

    Version(long version, byte[] value, Version older) {
      this.version = version;
      this.value = value;
      this.older = older;
    }
  }

  /** The version chain of one key. Written under the commit lock; read without locks. */
  private static final class Chain {
    volatile Version head;

    byte[] valueAt(long readVersion) {
      for (Version v = head; v != null; v = v.older) {
        if (v.version <= readVersion) {
          return v.value;
        }
      }
      return null;
    }
  }

  private record Touched(long version, byte[] key) {}

  private final String url;
  private final KvFaults faults;
  private final Clock clock;
  private final ConcurrentSkipListMap<byte[], Chain> data = new ConcurrentSkipListMap<>(Keys.ORDER);
  private final Object commitLock = new Object();
  private final Resolver resolver;
  private final ArrayDeque<Touched> gcQueue = new ArrayDeque<>();
  private volatile long committedVersion;
  private volatile boolean closed;

  public MemKvEngine(String url, Config config, KvFaults faults, Clock clock) {
    this.url = url;
    this.faults = faults;
    this.clock = clock;
    this.resolver = new Resolver(KvConfig.get(config, KvConfig.CONFLICT_WINDOW), 1_000_000, 0);
  }

  public MemKvEngine() {
    this("mem://", null, KvFaults.none(), Clock.systemUTC());
  }

  @Override
  public ReadTransaction beginRead() {
    return begin(true);
  }

  @Override
  public ReadWriteTransaction beginReadWrite() {
    return begin(false);
  }

  private Transaction begin(boolean readOnly) {
    checkOpen();
    long v = committedVersion;
    return new Transaction(this, new MemSnapshot(v), v, readOnly);
  }

  @Override
  public String url() {
    return url;
  }

  @Override
  public void close() {
    synchronized (commitLock) {
      closed = true;
      // Readers racing with this see ESHUTDOWN from checkReadable after their read, never the emptied map.
      data.clear();
      gcQueue.clear();
    }
  }

  @Override
  public void checkReadable(long readVersion) {
    checkOpen();
    long oldest = resolver.oldestReadableVersion();
    if (readVersion < oldest) {
      throw Resolver.tooOld(readVersion, oldest);
    }
  }

  @Override
  public long commit(CommitRequest req) {
    synchronized (commitLock) {
      checkOpen();
      long now = clock.millis();
      resolver.trim(now);
      collectGarbage();
      switch (resolver.check(req.readVersion(), req.readConflicts())) {
        case OK -> { }
        case CONFLICT -> throw Resolver.conflict(req.readVersion());
        case TOO_OLD -> throw Resolver.tooOld(req.readVersion(), resolver.oldestReadableVersion());
      }
      KvFaults.Decision fate = faults.decide();
      switch (fate) {
        case CONFLICT -> throw Resolver.injectedConflict();
        case UNKNOWN_NOT_APPLIED -> throw new CommitUnknownException("injected fault (not applied)");
        default -> { }
      }
      long v = committedVersion + 1;
      apply(req, v);
      resolver.record(v, now, req.writeConflicts());
      // Publish only after every chain holds version v, so a reader at v sees the whole commit.
      committedVersion = v;
      if (fate == KvFaults.Decision.UNKNOWN_APPLIED) {
        throw new CommitUnknownException("injected fault (applied)");
      }
      return v;
    }
  }

  private void apply(CommitRequest req, long v) {
    List<byte[]> clears = req.clearRanges();
    for (int i = 0; i < clears.size(); i += 2) {
      ConcurrentNavigableMap<byte[], Chain> sub = data.subMap(clears.get(i), true, clears.get(i + 1), false);
      List<byte[]> cleared = new ArrayList<>();
      for (Map.Entry<byte[], Chain> e : sub.entrySet()) {
        Chain c = e.getValue();
        Version head = c.head;
        if (head != null && head.value != null) {
          c.head = new Version(v, null, head);
          cleared.add(e.getKey());
        }
      }
      for (byte[] k : cleared) {
        gcQueue.addLast(new Touched(v, k));
      }
    }
    for (Map.Entry<byte[], byte[]> w : req.writes().entrySet()) {
      byte[] key = w.getKey();
      byte[] value = req.isDelete(w.getValue()) ? null : w.getValue();
      Chain c = data.get(key);
      if (c == null) {
        if (value == null) {
          continue;
        }
        c = new Chain();
        c.head = new Version(v, value, null);
        data.put(key, c);
      } else {
        c.head = new Version(v, value, c.head);
      }
      gcQueue.addLast(new Touched(v, key));
    }
    for (Map.Entry<byte[], Long> a : req.adds().entrySet()) {
      byte[] key = a.getKey();
      Chain c = data.get(key);
      Version head = c == null ? null : c.head;
      byte[] value = Keys.counterValue(Keys.counterOf(head == null ? null : head.value) + a.getValue());
      if (c == null) {
        c = new Chain();
        c.head = new Version(v, value, null);
        data.put(key, c);
      } else {
        c.head = new Version(v, value, head);
      }
      gcQueue.addLast(new Touched(v, key));
    }
  }

  /** Cuts version chains below the horizon; runs under the commit lock. */
  private void collectGarbage() {
    long horizon = resolver.oldestReadableVersion();
    Touched t;
    while ((t = gcQueue.peekFirst()) != null && t.version <= horizon) {
      gcQueue.removeFirst();
      Chain c = data.get(t.key);
      if (c == null) {
        continue;
      }
      Version v = c.head;
      while (v != null && v.version > horizon) {
        v = v.older;
      }
      if (v == null) {
        continue;
      }
      v.older = null;
      if (v == c.head && v.value == null) {
        // Deleted at or below the horizon and nothing newer: no reader can see the key any more.
        data.remove(t.key, c);
      }
    }
  }

  private void checkOpen() {
    if (closed) {
      throw CatenaException.of(Errno.ESHUTDOWN, "kv engine %s is closed", url);
    }
  }

  /** The committed state at one version. Thread-safe; nothing to release. */
  private final class MemSnapshot implements Snapshot {
    private final long version;

    MemSnapshot(long version) {
      this.version = version;
    }

    @Override
    public byte[] get(byte[] key) {
      Chain c = data.get(key);
      byte[] v = c == null ? null : c.valueAt(version);
      return v == null ? null : v.clone();
    }

    @Override
    public void scan(byte[] begin, byte[] end, boolean reverse, Visitor visitor) {
      ConcurrentNavigableMap<byte[], Chain> sub = data.subMap(begin, true, end, false);
      for (Map.Entry<byte[], Chain> e : (reverse ? sub.descendingMap() : sub).entrySet()) {
        byte[] v = e.getValue().valueAt(version);
        if (v != null && !visitor.visit(e.getKey().clone(), v.clone())) {
          return;
        }
      }
    }

    @Override
    public void release() {}
  }
}
