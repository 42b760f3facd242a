package io.catena.kv;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Status;

/**
 * A commit whose outcome is unknown: the writes may or may not have been applied (e.g. the connection to a remote
 * engine dropped after the commit was sent, or the WAL write failed half way). It is retryable, and
 * {@link TransactionRunner} does retry it: that is only correct because every mutation whose repetition would be
 * observable is made idempotent by its caller, with an idempotency record written in the same transaction (client
 * id + request id, ARCHITECTURE section 3.5), so the retry finds the record and returns the first outcome.
 * Transactions that only set absolute values are naturally idempotent. The local engines ({@code mem://},
 * {@code rocksdb://}) know their commit outcome and raise this only under fault injection or a storage I/O error.
 * Immutable.
 */
public final class CommitUnknownException extends CatenaException {
  private static final long serialVersionUID = 1L;

  public CommitUnknownException(String message) {
    super(Status.retryable(Errno.EIO, "commit result unknown: %s", message));
  }
}
