package io.catena.common.cluster;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A routing source whose versions are published by hand: tests drive chain changes with it, and a process without a
 * cluster manager can run on a fixed routing. Thread-safe: publication is atomic and listeners are called in order
 * on the publishing thread.
 */
public final class ManualRoutingSource implements RoutingSource {
  private final CopyOnWriteArrayList<Consumer<RoutingInfo>> listeners = new CopyOnWriteArrayList<>();
  private volatile RoutingInfo current;

  public ManualRoutingSource(RoutingInfo initial) {
    this.current = initial;
  }

  /** Makes {@code next} current and tells the subscribers; versions must increase. */
  public synchronized void publish(RoutingInfo next) {
    if (next.version() <= current.version()) {
      throw new IllegalArgumentException(
          "routing versions must increase: " + next.version() + " after " + current.version());
    }
    current = next;
    for (Consumer<RoutingInfo> l : listeners) {
      l.accept(next);
    }
  }

  @Override
  public RoutingInfo current() {
    return current;
  }

  @Override
  public RoutingInfo refresh(long seenVersion) {
    return current;
  }

  @Override
  public AutoCloseable subscribe(Consumer<RoutingInfo> listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }
}
