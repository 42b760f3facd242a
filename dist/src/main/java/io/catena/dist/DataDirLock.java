package io.catena.dist;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The one {@code catena up} of a data directory: an exclusive lock on {@code DATA/up.lock}, held while the process
 * lives (the kernel drops it when the process dies, even by kill -9, so a crash never leaves it stale), and a check
 * that no server process of an earlier run still serves the directory. Thread-safe: acquired once, released once.
 */
final class DataDirLock implements AutoCloseable {
  static final String LOCK_FILE = "up.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private DataDirLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Takes the lock, or says who holds it; then refuses if processes of an earlier run still serve {@code dir},
   * naming them and what to do.
   */
  static DataDirLock acquire(Path dir) {
    FileChannel ch;
    FileLock l;
    try {
      ch = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      l = ch.tryLock();
    } catch (IOException e) {
      throw CatenaException.of(Errno.EIO, "cannot lock %s: %s", dir.resolve(LOCK_FILE), e);
    }
    if (l == null) {
      close(ch);
      throw CatenaException.of(Errno.EBUSY, "catena up is already running on %s%s: use it, or stop it with "
          + "`catena down --data %s` first", dir, runningUp(dir), dir);
    }
    DataDirLock held = new DataDirLock(ch, l);
    List<DataDirProcesses.Server> left = DataDirProcesses.of(dir);
    if (!left.isEmpty()) {
      held.close();
      String which = left.stream().map(s -> s.pid() + " (" + s.role() + ")").collect(Collectors.joining(", "));
      throw CatenaException.of(Errno.EBUSY, "processes of an earlier run still serve %s: %s; stop them with "
          + "`catena down --data %s` (it stops every process serving the directory, whoever started it)", dir, which,
          dir);
    }
    return held;
  }

  private static String runningUp(Path dir) {
    try {
      return " (pid " + Files.readString(dir.resolve(UpCommand.PID_FILE)).trim() + ")";
    } catch (IOException e) {
      return "";
    }
  }

  private static void close(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException ignored) {
      // nothing was locked through it
    }
  }

  @Override
  public synchronized void close() {
    try {
      if (lock.isValid()) {
        lock.release();
      }
    } catch (IOException ignored) {
      // closing the channel releases it anyway
    }
    close(channel);
  }
}
