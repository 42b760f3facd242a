package io.catena.kv;

/**
 * An ordered key-value store with serializable transactions. Engines are chosen by URL ({@code mem://},
 * {@code rocksdb:///path}) and must pass the shared conformance suite. Thread-safe: any number of threads may begin
 * and run transactions concurrently.
 */
public interface KvEngine extends AutoCloseable {

  /**
   * A read-only transaction at the latest committed version. The version includes every commit acknowledged before
   * this call; an engine may fix it lazily (as FoundationDB does), no later than the transaction's first read, so
   * commits acknowledged between the begin and that read may be seen too. Either way all reads see one version.
   */
  ReadTransaction beginRead();

  /**
   * A read-only transaction that may be up to {@code maxStaleness} behind: it sees one version that includes every
   * commit made through this engine instance and every commit acknowledged at least {@code maxStaleness} before this
   * call, and maybe later ones. For callers whose answers tolerate that much delay (a file system's attribute and
   * directory reads, which clients cache longer anyway) on an engine where a current version costs a round trip.
   * Engines whose latest version is local answer with {@link #beginRead()}.
   */
  default ReadTransaction beginRead(java.time.Duration maxStaleness) {
    return beginRead();
  }

  /** Whether {@link #beginRead(java.time.Duration)} may answer from an older version than {@link #beginRead()}. */
  default boolean readsMayLag() {
    return false;
  }

  /**
   * A read-write transaction whose read version is the latest committed version, fixed as for {@link #beginRead}
   * and at the latest when the transaction first reads or records a read conflict.
   */
  ReadWriteTransaction beginReadWrite();

  /** The URL this engine was opened with. */
  String url();

  /** Closes the engine; transactions still open fail afterwards. */
  @Override
  void close();
}
