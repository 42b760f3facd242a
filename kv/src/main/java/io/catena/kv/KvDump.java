package io.catena.kv;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A dump file of a whole KV store at one version ({@code catena admin backup}, the metadata logger's checkpoints).
 * Layout: a {@value #HEADER_SIZE}-byte text header ({@code catena-kv-dump 1}, then {@code key=value} lines: engine,
 * version, time, keys, sha256; padded with spaces), then one record per key in key order ({@code int keyLength,
 * key, int valueLength, value}, big-endian), then {@code int -1}. The SHA-256 is over exactly those record bytes
 * (the same digest {@link KvCopy} compares), so a reader verifies the data against the header, and a restored
 * store is verified against the file. A dump is written to {@code FILE.tmp} and renamed when complete, so a file
 * under its final name is whole. Not thread-safe: one writer or reader per instance.
 */
public final class KvDump {
  public static final int FORMAT = 1;
  public static final int HEADER_SIZE = 1024;
  private static final String MAGIC = "catena-kv-dump " + FORMAT;
  private static final byte[] END = {(byte) 0xff};

  private KvDump() {}

  /** What a dump's header says. */
  public record Header(int format, String engine, long version, Instant time, long keys, String sha256) {
    String render() {
      return MAGIC + "\nengine=" + engine + "\nversion=" + version + "\ntime=" + time + "\nkeys=" + keys
          + "\nsha256=" + sha256 + "\n";
    }
  }

  /** Writes a dump record by record; {@link #finish} completes the header and renames it into place. */
  public static final class Writer implements AutoCloseable {
    private final Path file;
    private final Path tmp;
    private final FileChannel channel;
    private final DataOutputStream out;
    private final MessageDigest md = sha256();
    private final String engine;
    private final long version;
    private final Instant time;
    private long keys;
    private boolean done;

    public Writer(Path file, String engine, long version, Instant time) {
      this.file = file;
      this.tmp = file.resolveSibling(file.getFileName() + ".tmp");
      this.engine = engine;
      this.version = version;
      this.time = time;
      try {
        channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING);
        channel.position(HEADER_SIZE);
      } catch (IOException e) {
        throw CatenaException.of(Errno.EIO, "cannot write %s: %s", tmp, e);
      }
      out = new DataOutputStream(new BufferedOutputStream(java.nio.channels.Channels.newOutputStream(channel),
          1 << 16));
    }

    public void add(byte[] key, byte[] value) {
      try {
        record(out, md, key, value);
        keys++;
      } catch (IOException e) {
        throw CatenaException.of(Errno.EIO, "cannot write %s: %s", tmp, e);
      }
    }

    /** Completes, syncs and renames the file; returns its header. */
    public Header finish() {
      Header h = new Header(FORMAT, engine, version, time, keys, HexFormat.of().formatHex(md.digest()));
      try {
        out.writeInt(-1);
        out.flush();
        byte[] text = h.render().getBytes(StandardCharsets.UTF_8);
        if (text.length > HEADER_SIZE) {
          throw CatenaException.of(Errno.ENAMETOOLONG, "dump header too long (engine URL?): %d bytes", text.length);
        }
        byte[] header = new byte[HEADER_SIZE];
        Arrays.fill(header, (byte) ' ');
        System.arraycopy(text, 0, header, 0, text.length);
        channel.write(ByteBuffer.wrap(header), 0);
        channel.force(true);
        channel.close();
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        done = true;
        return h;
      } catch (IOException e) {
        throw CatenaException.of(Errno.EIO, "cannot write %s: %s", tmp, e);
      }
    }

    @Override
    public void close() {
      if (!done) {
        try {
          channel.close();
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // nothing to save: the partial file is only ever a .tmp
        }
      }
    }
  }

  /** Reads a dump: the header at once, then the pairs; the digest is checked when the end is reached. */
  public static final class Reader implements AutoCloseable {
    private final Path file;
    private final DataInputStream in;
    private final Header header;
    private final MessageDigest md = sha256();
    private long read;

    public Reader(Path file) {
      this.file = file;
      try {
        InputStream raw = Files.newInputStream(file);
        in = new DataInputStream(new BufferedInputStream(raw, 1 << 16));
        byte[] h = new byte[HEADER_SIZE];
        in.readFully(h);
        header = parse(file, new String(h, StandardCharsets.UTF_8));
      } catch (EOFException e) {
        throw CatenaException.of(Errno.EINVAL, "%s is not a Catena dump (too short for its header)", file);
      } catch (IOException e) {
        throw CatenaException.of(Errno.EIO, "cannot read %s: %s", file, e);
      }
    }

    public Header header() {
      return header;
    }

    /** Visits every pair in order; then checks the count and SHA-256 against the header (EIO if they differ). */
    public void forEach(PairConsumer consumer) {
      try {
        ByteBuffer len = ByteBuffer.allocate(4);
        while (true) {
          int kl = in.readInt();
          if (kl == -1) {
            break;
          }
          byte[] k = in.readNBytes(kl);
          int vl = in.readInt();
          byte[] v = in.readNBytes(vl);
          if (k.length != kl || v.length != vl || vl < 0) {
            throw new EOFException();
          }
          md.update(len.clear().putInt(kl).array());
          md.update(k);
          md.update(len.clear().putInt(vl).array());
          md.update(v);
          read++;
          consumer.accept(k, v);
        }
      } catch (EOFException | NegativeArraySizeException e) {
        throw CatenaException.of(Errno.EIO, "%s is truncated or damaged after %d keys", file, read);
      } catch (IOException e) {
        throw CatenaException.of(Errno.EIO, "cannot read %s: %s", file, e);
      }
      String got = HexFormat.of().formatHex(md.digest());
      if (read != header.keys() || !got.equals(header.sha256())) {
        throw CatenaException.of(Errno.EIO, "%s is damaged: %d keys with SHA-256 %s, its header says %d keys with %s",
            file, read, got, header.keys(), header.sha256());
      }
    }

    @Override
    public void close() {
      try {
        in.close();
      } catch (IOException ignored) {
        // read-only: nothing lost
      }
    }
  }

  /** Receives the pairs of a dump. */
  @FunctionalInterface
  public interface PairConsumer {
    void accept(byte[] key, byte[] value);
  }

  /** What a restore did. */
  public record Restored(long keys, String sha256, boolean replaced) {}

  /**
   * Dumps every key of {@code engine} read at one version, in pages of {@code pageKeys} keys, into {@code file}. A
   * dump that outlives the engine's history window (a retryable "too old") is started again, up to 3 times.
   */
  public static Header backup(KvEngine engine, Path file, Instant now, int pageKeys) {
    CatenaException last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      try (ReadTransaction r = engine.beginRead()) {
        try (Writer w = new Writer(file, engine.url(), r.readVersion(), now)) {
          byte[] begin = new byte[0];
          while (true) {
            RangeResult page = r.snapshotGetRange(begin, END, pageKeys, false);
            for (KeyValue kv : page.pairs()) {
              w.add(kv.key(), kv.value());
            }
            if (!page.more() || page.pairs().isEmpty()) {
              return w.finish();
            }
            begin = next(page.pairs().getLast().key());
          }
        }
      } catch (CatenaException e) {
        if (!e.status().retryable()) {
          throw e;
        }
        last = e;
      }
    }
    throw last;
  }

  /**
   * Restores a dump into {@code to} in transactions of at most {@code maxOps} keys and 1 MiB (etcd's limits), then
   * verifies the store against the dump. A store holding any key is refused unless {@code replace}, which first
   * clears it. The dump is read (and verified) once before anything is written.
   */
  public static Restored restore(Path file, KvEngine to, boolean replace, int maxOps) {
    try (Reader check = new Reader(file)) {
      check.forEach((k, v) -> { }); // a damaged dump is refused before the store is touched
    }
    try (Reader reader = new Reader(file)) {
      boolean empty;
      try (ReadTransaction r = to.beginRead()) {
        empty = r.snapshotGetRange(new byte[0], END, 1, false).pairs().isEmpty();
      }
      if (!empty && !replace) {
        throw CatenaException.of(Errno.EEXIST, "%s is not empty: restore into an empty store, or pass --force to "
            + "clear it first", to.url());
      }
      if (!empty) {
        try (ReadWriteTransaction w = to.beginReadWrite()) {
          w.clearRange(new byte[0], END);
          w.commit();
        }
      }
      Batch batch = new Batch(to, maxOps, 1L << 20);
      reader.forEach(batch::add);
      batch.flush();
      String got = digest(to);
      if (!got.equals(reader.header().sha256())) {
        throw CatenaException.of(Errno.EIO, "verification failed: the restored store hashes to %s, the dump to %s "
            + "(was the store written during the restore?)", got, reader.header().sha256());
      }
      return new Restored(reader.header().keys(), got, !empty);
    }
  }

  /** Collects writes into bounded transactions. */
  private static final class Batch {
    private final KvEngine to;
    private final int maxOps;
    private final long maxBytes;
    private final Map<byte[], byte[]> pairs = new LinkedHashMap<>();
    private long bytes;

    Batch(KvEngine to, int maxOps, long maxBytes) {
      this.to = to;
      this.maxOps = maxOps;
      this.maxBytes = maxBytes;
    }

    void add(byte[] k, byte[] v) {
      long size = k.length + v.length;
      if (!pairs.isEmpty() && (pairs.size() >= maxOps || bytes + size > maxBytes)) {
        flush();
      }
      pairs.put(k, v);
      bytes += size;
    }

    void flush() {
      if (pairs.isEmpty()) {
        return;
      }
      try (ReadWriteTransaction w = to.beginReadWrite()) {
        for (Map.Entry<byte[], byte[]> e : pairs.entrySet()) {
          w.set(e.getKey(), e.getValue());
        }
        w.commit();
      }
      pairs.clear();
      bytes = 0;
    }
  }

  /** The dump digest of a whole store: SHA-256 over (length, key, length, value) of every key, in order. */
  public static String digest(KvEngine e) {
    MessageDigest md = sha256();
    byte[] begin = new byte[0];
    ByteBuffer len = ByteBuffer.allocate(4);
    while (true) {
      RangeResult page;
      try (ReadTransaction r = e.beginRead()) {
        page = r.snapshotGetRange(begin, END, 1000, false);
      }
      for (KeyValue kv : page.pairs()) {
        md.update(len.clear().putInt(kv.key().length).array());
        md.update(kv.key());
        md.update(len.clear().putInt(kv.value().length).array());
        md.update(kv.value());
      }
      if (!page.more() || page.pairs().isEmpty()) {
        return HexFormat.of().formatHex(md.digest());
      }
      begin = next(page.pairs().getLast().key());
    }
  }

  private static void record(OutputStream out, MessageDigest md, byte[] key, byte[] value) throws IOException {
    byte[] kl = ByteBuffer.allocate(4).putInt(key.length).array();
    byte[] vl = ByteBuffer.allocate(4).putInt(value.length).array();
    out.write(kl);
    out.write(key);
    out.write(vl);
    out.write(value);
    md.update(kl);
    md.update(key);
    md.update(vl);
    md.update(value);
  }

  private static Header parse(Path file, String text) {
    List<String> lines = text.strip().lines().toList();
    if (lines.isEmpty() || !lines.getFirst().startsWith("catena-kv-dump ")) {
      throw CatenaException.of(Errno.EINVAL, "%s is not a Catena dump (no 'catena-kv-dump' header)", file);
    }
    int format;
    try {
      format = Integer.parseInt(lines.getFirst().substring("catena-kv-dump ".length()).strip());
    } catch (NumberFormatException e) {
      throw CatenaException.of(Errno.EINVAL, "%s: bad dump header line '%s'", file, lines.getFirst());
    }
    if (format != FORMAT) {
      throw CatenaException.of(Errno.EINVAL, "%s is a dump of format %d; this version reads format %d", file, format,
          FORMAT);
    }
    Map<String, String> f = new LinkedHashMap<>();
    for (String l : lines.subList(1, lines.size())) {
      int eq = l.indexOf('=');
      if (eq > 0) {
        f.put(l.substring(0, eq), l.substring(eq + 1));
      }
    }
    try {
      return new Header(format, f.getOrDefault("engine", ""), Long.parseLong(f.get("version")),
          Instant.parse(f.get("time")), Long.parseLong(f.get("keys")), f.get("sha256"));
    } catch (RuntimeException e) {
      throw CatenaException.of(Errno.EINVAL, "%s: incomplete dump header: %s", file, f);
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException x) {
      throw new IllegalStateException(x);
    }
  }

  private static byte[] next(byte[] k) {
    return Arrays.copyOf(k, k.length + 1);
  }
}
