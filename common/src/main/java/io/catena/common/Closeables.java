package io.catena.common;

import java.util.List;
import org.slf4j.Logger;

/** Closing what a process or client opened, in reverse order of opening. Stateless; thread-safe. */
public final class Closeables {
  private Closeables() {}

  /**
   * Closes {@code resources} last first (what was opened later may use what was opened before it); a failure is
   * logged on {@code log} and does not stop the others from closing.
   */
  public static void closeReversed(List<? extends AutoCloseable> resources, Logger log) {
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception e) {
        log.warn("closing {} failed", resources.get(i), e);
      }
    }
  }
}
