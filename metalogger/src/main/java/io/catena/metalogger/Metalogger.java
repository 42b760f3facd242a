package io.catena.metalogger;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.kv.KvDump;
import io.catena.metalogger.proto.Change;
import io.catena.metalogger.proto.ChangesOutcome;
import io.catena.metalogger.proto.ChangesResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metadata logger: keeps, in its own directory, a checkpoint of a control process's embedded store and the
 * change log of every commit after it, streamed as they happen. Resumes from the last change it synced after a
 * disconnect or a restart; takes a new checkpoint when the control process no longer holds the changes it needs
 * (it fell behind the feed, or the control process restarted), and after {@code metalogger.checkpoint_after} bytes
 * of log. Asynchronous, as MooseFS's: what it has synced is what {@code admin meta-restore} can rebuild; commits
 * acknowledged after the last change it received are not in it. One thread runs the loop; {@link #status} may be
 * read from any thread.
 */
public final class Metalogger implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Metalogger.class);
  private static final int MAX_CHANGES_BYTES = 8 << 20;

  private final MetalogClient client;
  private final LoggerDir dir;
  private final Clock clock;
  private final Duration pollWait;
  private final Duration retryInterval;
  private final long checkpointAfter;
  private final int keepCheckpoints;
  private final CountDownLatch stop = new CountDownLatch(1);
  private final Thread thread;
  private volatile LoggerStatus status;
  private ChangeLog log;
  private long checkpointVersion = -1;
  /** When the logger last held everything the control process had committed (lag in seconds counts from it). */
  private long caughtUpMillis;
  private String lastLine = "";
  private long lastLineMillis;

  public Metalogger(MetalogClient client, Path dir, Config config, Clock clock) {
    this.client = client;
    this.dir = new LoggerDir(dir);
    this.clock = clock;
    this.pollWait = config.get(MetaloggerConfig.POLL_WAIT);
    this.retryInterval = config.get(MetaloggerConfig.RETRY_INTERVAL);
    this.checkpointAfter = config.get(MetaloggerConfig.CHECKPOINT_AFTER).bytes();
    this.keepCheckpoints = config.get(MetaloggerConfig.KEEP_CHECKPOINTS);
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw CatenaException.of(Errno.EIO, "cannot create %s: %s", dir, e);
    }
    this.caughtUpMillis = clock.millis();
    this.status = new LoggerStatus(client.address().toString(), false, -1, -1, -1, 0, "");
    this.thread = Thread.ofPlatform().name("metalogger").unstarted(this::loop);
  }

  /** Resumes from what the directory holds, then follows the control process until closed. */
  public Metalogger start() {
    this.dir.latest().ifPresent(v -> {
      checkpointVersion = v;
      log = ChangeLog.open(this.dir.changes(v), v);
      LOG.info("resuming from checkpoint {} and its change log up to version {}", v, log.lastVersion());
    });
    thread.start();
    return this;
  }

  public LoggerStatus status() {
    return status;
  }

  private void loop() {
    while (stop.getCount() > 0) {
      try {
        if (log == null) {
          takeCheckpoint("no checkpoint yet");
        }
        ChangesResponse r = client.changes(log.lastVersion(), MAX_CHANGES_BYTES, pollWait);
        switch (r.getOutcome()) {
          case CHANGES_TOO_OLD -> takeCheckpoint("the control process no longer holds the changes after version "
              + log.lastVersion() + " (it holds those after " + r.getOldestVersion() + ")");
          case CHANGES_AHEAD -> takeCheckpoint("this logger is at version " + log.lastVersion()
              + " but the control process only at " + r.getLatestVersion() + " (a different or restored store)");
          default -> received(r);
        }
      } catch (CatenaException e) {
        report(false, -1, e.getMessage());
        await(retryInterval);
      } catch (RuntimeException e) {
        LOG.error("metalogger step failed", e);
        report(false, -1, String.valueOf(e));
        await(retryInterval);
      }
    }
  }

  private void received(ChangesResponse r) {
    List<ChangeLog.Record> records = new ArrayList<>(r.getChangesCount());
    for (Change c : r.getChangesList()) {
      records.add(new ChangeLog.Record(c.getFromVersion(), c.getToVersion(), c.getCommitMillis(),
          c.getBatch().toByteArray()));
    }
    if (!records.isEmpty()) {
      log.append(records);
    }
    report(true, r.getLatestVersion(), "");
    if (log.size() >= checkpointAfter) {
      takeCheckpoint("the change log reached " + log.size() + " bytes");
    }
  }

  private void takeCheckpoint(String why) {
    LOG.info("taking a checkpoint: {}", why);
    Path tmpName = dir.path().resolve("checkpoint-incoming.dump");
    KvDump.Header h = client.checkpoint(tmpName, clock.instant());
    try {
      Path target = dir.checkpoint(h.version());
      // The log first (empty), then the checkpoint under its final name: a checkpoint found complete always has one.
      try (ChangeLog fresh = ChangeLog.open(dir.changes(h.version()), h.version())) {
        fresh.size();
      }
      Files.move(tmpName, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw CatenaException.of(Errno.EIO, "cannot keep checkpoint %d in %s: %s", h.version(), dir.path(), e);
    }
    if (log != null) {
      log.close();
    }
    log = ChangeLog.open(dir.changes(h.version()), h.version());
    checkpointVersion = h.version();
    dir.prune(keepCheckpoints);
    LOG.info("checkpoint at version {}: {} keys (SHA-256 {})", h.version(), h.keys(), h.sha256());
    report(true, h.version(), "");
  }

  private void report(boolean connected, long latest, String error) {
    long now = clock.millis();
    long received = log == null ? -1 : log.lastVersion();
    long latestKnown = latest >= 0 ? Math.max(latest, received) : status.latestVersion();
    if (connected && received >= latestKnown) {
      caughtUpMillis = now;
    }
    LoggerStatus s = new LoggerStatus(client.address().toString(), connected, received, latestKnown,
        checkpointVersion, (now - caughtUpMillis) / 1000.0, error == null ? "" : error);
    status = s;
    try {
      s.write(dir.path());
    } catch (IOException e) {
      LOG.warn("cannot write the status file in {}: {}", dir.path(), e.toString());
    }
    // A line on every change of state and every 10 s while behind, not on every poll.
    String key = s.connected() + "/" + (s.behindVersions() > 0) + "/" + s.lastError();
    if (!key.equals(lastLine) || (s.behindVersions() > 0 && now - lastLineMillis > 10_000)) {
      lastLine = key;
      lastLineMillis = now;
      if (connected) {
        LOG.info(s.line());
      } else {
        LOG.warn(s.line());
      }
    }
  }

  private void await(Duration d) {
    try {
      stop.await(d.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stop.countDown();
    }
  }

  /** Stops the loop (a long poll in flight ends within {@code metalogger.poll_wait}) and closes the log. */
  @Override
  public void close() {
    stop.countDown();
    try {
      thread.join(pollWait.toMillis() + 30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (log != null && !thread.isAlive()) {
      log.close();
    }
  }
}
