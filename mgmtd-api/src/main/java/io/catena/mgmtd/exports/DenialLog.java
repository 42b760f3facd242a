package io.catena.mgmtd.exports;

import java.time.Clock;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One log line per denial, rate-limited per (peer, user, reason): a client retrying in a loop must not flood the
 * log, so a repeat within {@link #QUIET_MILLIS} is counted and reported with the next line. Thread-safe.
 */
public final class DenialLog {
  private static final Logger LOG = LoggerFactory.getLogger("io.catena.exports");
  static final long QUIET_MILLIS = 10_000;
  private static final int MAX_KEYS = 10_000;

  private record Seen(long atMillis, AtomicLong suppressed) {}

  private final Clock clock;
  private final ConcurrentHashMap<String, Seen> seen = new ConcurrentHashMap<>();

  public DenialLog(Clock clock) {
    this.clock = clock;
  }

  public void denied(String peer, String user, String method, String reason) {
    String key = peer + '|' + user + '|' + reason;
    long now = clock.millis();
    Seen s = seen.get(key);
    if (s != null && now - s.atMillis() < QUIET_MILLIS) {
      s.suppressed().incrementAndGet();
      return;
    }
    if (seen.size() >= MAX_KEYS) {
      seen.clear();
    }
    Seen fresh = new Seen(now, new AtomicLong());
    if (s == null ? seen.putIfAbsent(key, fresh) != null : !seen.replace(key, s, fresh)) {
      return; // another thread logged it just now
    }
    long more = s == null ? 0 : s.suppressed().get();
    LOG.warn("export denied: peer {} user {} {}: {}{}", peer, user, method, reason,
        more == 0 ? "" : " (" + more + " more since the last line)");
  }
}
