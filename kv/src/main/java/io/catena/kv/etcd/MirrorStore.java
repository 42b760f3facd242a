package io.catena.kv.etcd;

import io.catena.kv.Keys;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * One generation of {@link EtcdMirror}: the prefix's data keys as listed at revision {@code listed} and then moved
 * forward by watch events, several versions per key, so that a read at any revision in {@code [floor, applied]} sees
 * exactly what etcd held at that revision. History up to {@code applied} never changes, so a reader pinned to a
 * revision may keep reading a generation after the mirror has dropped it (a broken watch starts a new one).
 *
 * <p>Versions of one key form an immutable list, newest first; a delete is a version without a value (a tombstone).
 * A version is garbage once a newer one of its key is at or below the floor (the oldest revision any reader is
 * pinned to): no reader can then see it. Superseded versions wait in a queue in the order they were superseded, and
 * {@link #prune} drops those the floor has passed, so memory stays at one version per live key plus what open
 * readers still need. Per key: about 150 bytes of map node, index and version objects plus the key and value bytes.
 *
 * <p>Thread-safe: one writer (the mirror's watch, which calls {@link #load}, {@link #apply}, {@link #advanceTo} and
 * {@link #prune} in revision order) and any number of readers; readers see a key's version list through the map's
 * volatile publication, and {@link #applied} is published after the versions it covers.
 */
final class MirrorStore {
  /** One version of a key: its value at {@code mod} (null: deleted at {@code mod}) and the one it replaced. */
  record Version(long mod, byte[] value, Version older) {}

  /** A version superseded at revision {@code rev}: garbage once the floor reaches {@code rev}. */
  private record Superseded(long rev, byte[] key) {}

  private final ConcurrentSkipListMap<byte[], Version> keys = new ConcurrentSkipListMap<>(Keys.ORDER);
  private final ArrayDeque<Superseded> garbage = new ArrayDeque<>();
  private final ReadPins pins;
  private final long listed;
  private volatile long applied;

  MirrorStore(long listed, ReadPins pins) {
    this.listed = listed;
    this.applied = listed;
    this.pins = pins;
  }

  /** The revision the generation was listed at: it answers nothing older. */
  long listed() {
    return listed;
  }

  /** Every event up to this revision is in the store. */
  long applied() {
    return applied;
  }

  ReadPins pins() {
    return pins;
  }

  /** A key of the initial listing (its mod revision is at most {@link #listed}). Writer only. */
  void load(byte[] key, byte[] value, long mod) {
    keys.put(key, new Version(mod, value, null));
  }

  /** A put ({@code value} non-null) or delete of {@code key} at revision {@code rev}. Writer only, in order. */
  void apply(byte[] key, byte[] value, long rev) {
    Version old = keys.get(key);
    if (old == null && value == null) {
      return; // deleting an absent key changes nothing readers could see
    }
    if (old != null && old.mod >= rev) {
      return; // already listed (the list and the watch overlap by design at the list revision)
    }
    keys.put(key, new Version(rev, value, old));
    if (old != null) {
      garbage.add(new Superseded(rev, key));
    } else if (value == null) {
      garbage.add(new Superseded(rev, key));
    }
  }

  /** Every event up to {@code rev} has been applied. Writer only. */
  void advanceTo(long rev) {
    if (rev > applied) {
      applied = rev;
    }
  }

  /**
   * Drops versions no reader can see any more: those replaced at or below the floor, which is the oldest revision a
   * reader is pinned to (or {@link #applied} without readers). Writer only.
   */
  void prune() {
    if (garbage.isEmpty()) {
      return;
    }
    long floor = pins.advanceFloor(applied);
    while (!garbage.isEmpty() && garbage.peekFirst().rev() <= floor) {
      byte[] k = garbage.pollFirst().key();
      Version v = keys.get(k);
      if (v == null) {
        continue;
      }
      Version kept = trim(v, floor);
      if (kept == null) {
        keys.remove(k, v);
      } else if (kept != v) {
        keys.replace(k, v, kept);
      }
    }
  }

  /**
   * The list without what no reader at or above {@code floor} can see: everything older than the newest version at
   * or below the floor; that version too if it is a tombstone. Null: nothing left.
   */
  private static Version trim(Version v, long floor) {
    if (v.mod <= floor) {
      return v.value == null ? null : (v.older == null ? v : new Version(v.mod, v.value, null));
    }
    Version rest = v.older == null ? null : trim(v.older, floor);
    return rest == v.older ? v : new Version(v.mod, v.value, rest);
  }

  /** The version of {@code key} visible at {@code rev}, or null if the key was absent then. */
  Version get(byte[] key, long rev) {
    return visible(keys.get(key), rev);
  }

  private static Version visible(Version v, long rev) {
    while (v != null && v.mod > rev) {
      v = v.older;
    }
    return v == null || v.value == null ? null : v;
  }

  /** Receives the keys of a scan at one revision. */
  @FunctionalInterface
  interface Visitor {
    /** @return whether to continue */
    boolean visit(byte[] key, Version version);
  }

  /** Calls {@code visitor} with each key present in {@code [begin, end)} at {@code rev}, in order, until it stops. */
  void scan(byte[] begin, byte[] end, boolean reverse, long rev, Visitor visitor) {
    if (Keys.compare(begin, end) >= 0) {
      return;
    }
    NavigableMap<byte[], Version> span = keys.subMap(begin, true, end, false);
    for (Map.Entry<byte[], Version> e : (reverse ? span.descendingMap() : span).entrySet()) {
      Version v = visible(e.getValue(), rev);
      if (v != null && !visitor.visit(e.getKey(), v)) {
        return;
      }
    }
  }

  /** Keys held (live and tombstones), for tests and memory estimates. */
  int size() {
    return keys.size();
  }
}
