package io.catena.dist;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the server processes of {@code catena up --ha} running, as systemd's {@code Restart=always} would on a real
 * host: a child that exits while the cluster runs (a crash, an OOM kill, an operator's kill -9) is started again with
 * the same arguments, its log appended. The pause before a restart is {@link #FIRST_PAUSE}, doubling (to
 * {@link #MAX_PAUSE}) while the child keeps dying within {@link #STABLE_AFTER} of its start, so a child that cannot
 * start does not spin. Stopping stops every child in reverse order and restarts nothing more. Thread-safe: restarts
 * run on the supervisor's own thread; every method takes the instance lock.
 */
final class Supervisor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);
  static final Duration FIRST_PAUSE = Duration.ofSeconds(1);
  static final Duration MAX_PAUSE = Duration.ofSeconds(30);
  static final Duration STABLE_AFTER = Duration.ofSeconds(30);

  /** One supervised child: the process that runs now, when it started, and the pause before its next restart. */
  private static final class Slot {
    ChildProcess current;
    long startedMillis;
    Duration pause = FIRST_PAUSE;

    Slot(ChildProcess current, long startedMillis) {
      this.current = current;
      this.startedMillis = startedMillis;
    }
  }

  private final Clock clock;
  private final List<Slot> slots = new ArrayList<>();
  private final ScheduledExecutorService restarts = Executors.newSingleThreadScheduledExecutor(
      Thread.ofPlatform().daemon().name("catena-supervisor").factory());
  private boolean stopping;

  Supervisor(Clock clock) {
    this.clock = clock;
  }

  /** Supervises {@code child} from now on (started by the caller, already running and ready). */
  synchronized void watch(ChildProcess child) {
    Slot slot = new Slot(child, clock.millis());
    slots.add(slot);
    watchExit(slot, child);
  }

  private void watchExit(Slot slot, ChildProcess child) {
    child.onExit().thenRun(() -> exited(slot, child));
  }

  private synchronized void exited(Slot slot, ChildProcess child) {
    if (stopping || slot.current != child) {
      return;
    }
    boolean stable = clock.millis() - slot.startedMillis >= STABLE_AFTER.toMillis();
    Duration pause = stable ? FIRST_PAUSE : slot.pause;
    slot.pause = pause.multipliedBy(2).compareTo(MAX_PAUSE) > 0 ? MAX_PAUSE : pause.multipliedBy(2);
    LOG.warn("{} (pid {}) exited with code {}; starting it again in {} ms (log: {})", child.name(), child.pid(),
        child.exitValue(), pause.toMillis(), child.log());
    restarts.schedule(() -> restart(slot, child), pause.toMillis(), TimeUnit.MILLISECONDS);
  }

  private synchronized void restart(Slot slot, ChildProcess dead) {
    if (stopping || slot.current != dead) {
      return;
    }
    try {
      ChildProcess next = dead.respawn();
      slot.current = next;
      slot.startedMillis = clock.millis();
      LOG.info("{} started again (pid {})", next.name(), next.pid());
      watchExit(slot, next);
    } catch (RuntimeException e) {
      LOG.warn("{} could not be started again: {}; trying later", dead.name(), e.toString());
      restarts.schedule(() -> restart(slot, dead), slot.pause.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** The process that runs now for every supervised child, in the order they were added. */
  synchronized List<ChildProcess> current() {
    return slots.stream().map(s -> s.current).toList();
  }

  /** Restarts nothing more and stops every supervised child, the last added first. */
  @Override
  public void close() {
    List<ChildProcess> toStop;
    synchronized (this) {
      stopping = true;
      toStop = current();
    }
    restarts.shutdownNow();
    LocalNodes.stopAll(toStop);
  }
}
