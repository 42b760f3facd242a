package io.catena.metalogger;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/**
 * One change-log file of the logger: the committed write batches after one checkpoint, appended in order and
 * synced before the logger counts them as received. Record: {@code int magic, long fromVersion, long toVersion,
 * long commitMillis, int length, int crc32c, batch}. A record cut short by a crash (or damaged) ends the log: on
 * reopen it is cut off, and readers stop before it. Not thread-safe: one appender; readers of a file being
 * appended to see a prefix.
 */
final class ChangeLog implements AutoCloseable {
  static final int MAGIC = 0x4d4c4f47; // "MLOG"
  private static final int HEAD = 4 + 8 + 8 + 8 + 4 + 4;

  /** One committed write batch covering the versions {@code (from, to]}. */
  record Record(long from, long to, long commitMillis, byte[] batch) {}

  private final Path file;
  private final FileChannel channel;
  private long lastVersion;
  private long size;

  private ChangeLog(Path file, FileChannel channel, long lastVersion, long size) {
    this.file = file;
    this.channel = channel;
    this.lastVersion = lastVersion;
    this.size = size;
  }

  /** Opens (creating) the log that follows a checkpoint at {@code startVersion}; cuts off a torn tail. */
  static ChangeLog open(Path file, long startVersion) {
    try {
      long[] end = {0};
      long last = read(file, startVersion, r -> { }, end);
      FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      if (ch.size() > end[0]) {
        ch.truncate(end[0]);
        ch.force(true);
      }
      ch.position(end[0]);
      return new ChangeLog(file, ch, last, end[0]);
    } catch (IOException e) {
      throw CatenaException.of(Errno.EIO, "cannot open change log %s: %s", file, e);
    }
  }

  /** Appends and syncs; the records must continue from {@link #lastVersion}. */
  void append(List<Record> records) {
    try {
      for (Record r : records) {
        if (r.from() != lastVersion) {
          throw CatenaException.of(Errno.EIO, "change log %s is at version %d, the next change starts at %d", file,
              lastVersion, r.from());
        }
        CRC32C crc = new CRC32C();
        crc.update(r.batch());
        ByteBuffer b = ByteBuffer.allocate(HEAD + r.batch().length);
        b.putInt(MAGIC).putLong(r.from()).putLong(r.to()).putLong(r.commitMillis()).putInt(r.batch().length)
            .putInt((int) crc.getValue()).put(r.batch()).flip();
        while (b.hasRemaining()) {
          channel.write(b);
        }
        size += HEAD + r.batch().length;
        lastVersion = r.to();
      }
      channel.force(false);
    } catch (IOException e) {
      throw CatenaException.of(Errno.EIO, "cannot append to change log %s: %s", file, e);
    }
  }

  long lastVersion() {
    return lastVersion;
  }

  long size() {
    return size;
  }

  /**
   * Visits the whole records of {@code file} (absent: none), which must chain from {@code startVersion}; returns
   * the version the last one ends at. {@code end[0]} receives the byte offset after it.
   */
  static long read(Path file, long startVersion, Consumer<Record> visitor, long[] end) throws IOException {
    long version = startVersion;
    end[0] = 0;
    if (!Files.exists(file)) {
      return version;
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long pos = 0;
      long fileSize = ch.size();
      ByteBuffer head = ByteBuffer.allocate(HEAD);
      while (pos + HEAD <= fileSize) {
        head.clear();
        readFully(ch, head, pos);
        head.flip();
        int magic = head.getInt();
        long from = head.getLong();
        long to = head.getLong();
        long millis = head.getLong();
        int len = head.getInt();
        int crc = head.getInt();
        if (magic != MAGIC || len < 0 || pos + HEAD + len > fileSize || from != version || to <= from) {
          break;
        }
        ByteBuffer body = ByteBuffer.allocate(len);
        readFully(ch, body, pos + HEAD);
        CRC32C c = new CRC32C();
        c.update(body.array());
        if ((int) c.getValue() != crc) {
          break;
        }
        visitor.accept(new Record(from, to, millis, body.array()));
        version = to;
        pos += HEAD + len;
        end[0] = pos;
      }
    }
    return version;
  }

  private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
    while (b.hasRemaining()) {
      int n = ch.read(b, pos + b.position());
      if (n < 0) {
        throw new IOException("unexpected end of file");
      }
    }
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      throw CatenaException.of(Errno.EIO, "cannot close change log %s: %s", file, e);
    }
  }
}
