package io.catena.mgmtd.server;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.mgmtd.exports.ExportRules;
import io.catena.mgmtd.exports.ExportRulesException;
import io.catena.mgmtd.exports.ExportsConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exports file of one mgmtd ({@code mgmtd.exports_file}): loaded at start (a bad file refuses the start, with
 * every error's line number), then re-read every {@code mgmtd.exports_poll_interval}. The file is small, so a poll
 * reads it whole and compares the text: an edit that keeps size and mtime is still seen. A bad edit, or a file that
 * disappears, is logged once and the previous rules stay. Thread-safe: the served rules are swapped atomically.
 */
public final class ExportsFile implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ExportsFile.class);

  /** What is served: the rules and when they were loaded. */
  public record Loaded(ExportRules rules, long loadedAtMillis) {}

  private final Optional<Path> file;
  private final Clock clock;
  private volatile Loaded current;
  private String lastSeenText; // poll thread only: the text last looked at, good or bad
  private ScheduledExecutorService timer;

  private ExportsFile(Optional<Path> file, Clock clock, Loaded current) {
    this.file = file;
    this.clock = clock;
    this.current = current;
    this.lastSeenText = current == null ? null : current.rules().text();
  }

  /** No rules: every authenticated client may do everything (a cluster without {@code mgmtd.exports_file}). */
  public static ExportsFile none() {
    return new ExportsFile(Optional.empty(), Clock.systemUTC(), null);
  }

  /** Loads {@code mgmtd.exports_file} (nothing when empty) and starts watching it. */
  public static ExportsFile open(Config config, Clock clock) {
    String f = config.get(ExportsConfig.FILE).strip();
    if (f.isEmpty()) {
      return none();
    }
    Path path = Path.of(f).toAbsolutePath();
    ExportRules rules;
    try {
      rules = ExportRules.parse(read(path));
    } catch (ExportRulesException e) {
      throw CatenaException.of(Errno.EINVAL, "exports file %s is not valid:\n%s", path, e.status().message());
    }
    ExportsFile x = new ExportsFile(Optional.of(path), clock, new Loaded(rules, clock.millis()));
    LOG.info("export rules from {}: {} rule(s), version {}", path, rules.rules().size(),
        Long.toHexString(rules.version()));
    Duration every = config.get(ExportsConfig.POLL_INTERVAL);
    x.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("exports-file")
        .factory());
    x.timer.scheduleWithFixedDelay(x::poll, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    return x;
  }

  /** The rules served now; empty when no file is configured. */
  public Optional<Loaded> current() {
    return Optional.ofNullable(current);
  }

  public Optional<Path> file() {
    return file;
  }

  /** Looks at the file once: new valid text replaces the rules; anything else is logged once and changes nothing. */
  void poll() {
    Path path = file.orElseThrow();
    String text;
    try {
      text = read(path);
    } catch (CatenaException e) {
      if (lastSeenText != null) {
        LOG.error("cannot read the exports file: {}; the previous rules stay in force", e.status().message());
        lastSeenText = null;
      }
      return;
    }
    if (text.equals(lastSeenText)) {
      return;
    }
    lastSeenText = text;
    try {
      ExportRules rules = ExportRules.parse(text);
      current = new Loaded(rules, clock.millis());
      LOG.info("export rules reloaded from {}: {} rule(s), version {}", path, rules.rules().size(),
          Long.toHexString(rules.version()));
    } catch (ExportRulesException e) {
      LOG.error("exports file {} changed but is not valid; the previous rules (version {}) stay in force:\n{}",
          path, Long.toHexString(current.rules().version()), String.join("\n", e.errors()));
    }
  }

  private static String read(Path path) {
    try {
      return Files.readString(path, StandardCharsets.UTF_8);
    } catch (java.nio.file.NoSuchFileException e) {
      throw CatenaException.of(Errno.ENOENT, "exports file %s does not exist", path);
    } catch (IOException e) {
      throw CatenaException.of(Errno.EIO, "cannot read exports file %s: %s", path, e.getMessage());
    }
  }

  @Override
  public void close() {
    if (timer != null) {
      timer.shutdownNow();
    }
  }
}
