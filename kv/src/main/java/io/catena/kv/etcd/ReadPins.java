package io.catena.kv.etcd;

import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * The revisions open transactions read the mirror at, and the floor below which {@link MirrorStore} may drop
 * versions. A pin is taken at the store's latest applied revision, under the same lock that computes the floor, so
 * a floor never passes a pinned revision. A pin older than {@code kv.conflict_window} (on the engine's clock) no
 * longer holds the floor back: its transaction fails its next read's age check anyway, so a transaction that was
 * never closed cannot keep old versions alive forever. Thread-safe: guarded by its monitor.
 */
final class ReadPins {
  /** One transaction's hold on a revision. Immutable; compared by identity. */
  static final class Pin {
    final long revision;
    final long sinceMillis;

    private Pin(long revision, long sinceMillis) {
      this.revision = revision;
      this.sinceMillis = sinceMillis;
    }
  }

  private final Clock clock;
  private final long windowMillis;
  private final Map<Pin, Boolean> open = new HashMap<>();
  private long floor;

  ReadPins(Clock clock, long windowMillis) {
    this.clock = clock;
    this.windowMillis = windowMillis;
  }

  /** Pins the store's applied revision (read under the lock, so no floor computed meanwhile passes it). */
  synchronized Pin pin(MirrorStore store, long beganMillis) {
    Pin p = new Pin(store.applied(), beganMillis);
    open.put(p, Boolean.TRUE);
    return p;
  }

  synchronized void unpin(Pin p) {
    open.remove(p);
  }

  /** The new floor: the oldest revision a live pin holds, or {@code applied} without pins. Never goes down. */
  synchronized long advanceFloor(long applied) {
    long f = applied;
    long oldest = clock.millis() - windowMillis;
    for (Pin p : open.keySet()) {
      if (p.sinceMillis >= oldest && p.revision < f) {
        f = p.revision;
      }
    }
    if (f > floor) {
      floor = f;
    }
    return floor;
  }

  synchronized int size() {
    return open.size();
  }
}
