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
