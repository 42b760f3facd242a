package io.catena.rpc;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.slf4j.LoggerFactory;

/** Collects formatted log lines of the io.catena.rpc loggers so tests can wait for one. Thread-safe. */
final class LogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {
  private final List<String> lines = new ArrayList<>();
  private final Logger logger = (Logger) LoggerFactory.getLogger("io.catena.rpc");

  LogCapture() {
    setName("capture");
    start();
    logger.addAppender(this);
  }

  @Override
  protected synchronized void append(ILoggingEvent e) {
    lines.add(e.getLevel() + " " + e.getFormattedMessage());
    notifyAll();
  }

  /** Waits until a line matching {@code p} has been logged; returns it, or fails listing what was logged. */
  synchronized String await(Predicate<String> p, Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (true) {
      for (String l : lines) {
        if (p.test(l)) {
          return l;
        }
      }
      long left = end - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("no matching log line within " + timeout + "; got " + lines);
      }
      wait(Math.max(1, left / 1_000_000));
    }
  }

  @Override
  public void close() {
    logger.detachAppender(this);
    stop();
  }
}
