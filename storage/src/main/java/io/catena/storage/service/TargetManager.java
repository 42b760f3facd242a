package io.catena.storage.service;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.storage.engine.CowChunkStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The targets of one storage node: each is a {@link CowChunkStore} in {@code <disk>/targets/<targetId>/} with a
 * {@code target.properties} naming its chain. Loads every target found on the disks at start. Thread-safe.
 */
public final class TargetManager implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TargetManager.class);
  private static final String INFO = "target.properties";

  private final List<Path> disks;
  private final Config config;
  private final Clock clock;
  private final StorageMetrics metrics;
  private final ConcurrentHashMap<Long, Target> targets = new ConcurrentHashMap<>();

  public TargetManager(List<Path> disks, Config config, Clock clock) {
    this(disks, config, clock, StorageMetrics.discarding());
  }

  /** As above, counting each target's chunk engine work in {@code metrics}. */
  public TargetManager(List<Path> disks, Config config, Clock clock, StorageMetrics metrics) {
    this.metrics = metrics;
    if (disks.isEmpty()) {
      throw CatenaException.of(Errno.EINVAL, "a storage node needs at least one disk");
    }
    this.disks = List.copyOf(disks);
    this.config = config;
    this.clock = clock;
    try {
      for (int i = 0; i < this.disks.size(); i++) {
        Path root = this.disks.get(i).resolve("targets");
        Files.createDirectories(root);
        try (Stream<Path> s = Files.list(root)) {
          for (Path dir : s.sorted().toList()) {
            Path info = dir.resolve(INFO);
            if (!Files.isRegularFile(info)) {
              LOG.warn("ignoring {}: no {}", dir, INFO);
              continue;
            }
            long targetId = Long.parseLong(dir.getFileName().toString());
            long chainId = readChain(info);
            targets.put(targetId, newTarget(targetId, chainId, i, dir, true));
            LOG.info("loaded target {} of chain {} from {}", targetId, chainId, dir);
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e instanceof CatenaException ce ? ce
          : new CatenaException(io.catena.common.Status.of(Errno.EIO, "cannot load targets: %s", e), e);
    }
  }

  private static long readChain(Path info) throws IOException {
    for (String line : Files.readAllLines(info, StandardCharsets.UTF_8)) {
      if (line.startsWith("chain=")) {
        return Long.parseLong(line.substring(6).trim());
      }
    }
    throw new IOException(info + " names no chain");
  }

  public List<Path> disks() {
    return disks;
  }

  public Optional<Target> get(long targetId) {
    return Optional.ofNullable(targets.get(targetId));
  }

  public Collection<Target> all() {
    return List.copyOf(targets.values());
  }

  /**
   * Creates a target on disk {@code diskIndex}; creating one that exists with the same chain and disk is a no-op
   * (a retried admin call). Errors: EINVAL bad ids or disk; EEXIST the id exists with another chain or disk.
   */
  public synchronized Target create(long targetId, long chainId, int diskIndex) {
    if (targetId <= 0 || chainId <= 0) {
      throw CatenaException.of(Errno.EINVAL, "target id %d and chain id %d must be positive", targetId, chainId);
    }
    if (diskIndex < 0 || diskIndex >= disks.size()) {
      throw CatenaException.of(Errno.EINVAL, "disk index %d out of range: this node has %d disks", diskIndex,
          disks.size());
    }
    Target old = targets.get(targetId);
    if (old != null) {
      if (old.chainId() == chainId && old.diskIndex() == diskIndex) {
        return old;
      }
      throw CatenaException.of(Errno.EEXIST, "target %d exists on disk %d in chain %d", targetId, old.diskIndex(),
          old.chainId());
    }
    Path dir = disks.get(diskIndex).resolve("targets").resolve(Long.toString(targetId));
    try {
      Files.createDirectories(dir);
      Path tmp = dir.resolve(INFO + ".tmp");
      Files.writeString(tmp, "chain=" + chainId + "\n", StandardCharsets.UTF_8);
      Files.move(tmp, dir.resolve(INFO), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new CatenaException(io.catena.common.Status.of(Errno.EIO, "cannot create %s: %s", dir, e), e);
    }
    Target t = newTarget(targetId, chainId, diskIndex, dir, false);
    targets.put(targetId, t);
    LOG.info("created target {} of chain {} in {}", targetId, chainId, dir);
    return t;
  }

  private Target newTarget(long targetId, long chainId, int disk, Path dir, boolean loadedAtStart) {
    return new Target(targetId, chainId, disk, dir, metrics.wrap(targetId, CowChunkStore.open(dir, config, clock)),
        loadedAtStart, metrics.target(targetId));
  }

  /** Stops serving a target until the process restarts (its data stays). Errors: ENOENT. */
  public void offline(long targetId) {
    Target t = targets.get(targetId);
    if (t == null) {
      throw CatenaException.of(Errno.ENOENT, "no target %d on this node", targetId);
    }
    t.fence();
    LOG.warn("{} taken offline", t);
  }

  /** Removes a target and deletes its data. Errors: ENOENT. */
  public synchronized void remove(long targetId) {
    Target t = targets.remove(targetId);
    if (t == null) {
      throw CatenaException.of(Errno.ENOENT, "no target %d on this node", targetId);
    }
    t.fence();
    t.store().close();
    try (Stream<Path> s = Files.walk(t.dir())) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new CatenaException(io.catena.common.Status.of(Errno.EIO, "cannot delete %s: %s", t.dir(), e), e);
    }
    LOG.warn("{} removed", t);
  }

  @Override
  public void close() {
    List<Target> all = new ArrayList<>(targets.values());
    targets.clear();
    for (Target t : all) {
      try {
        t.store().close();
      } catch (RuntimeException e) {
        LOG.warn("closing {}: {}", t, e.toString());
      }
    }
  }
}
