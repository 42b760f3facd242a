package io.catena.common;

/**
 * The one exception type of Catena's synchronous APIs: it carries a {@link Status}. Asynchronous APIs complete
 * their futures exceptionally with it instead of throwing. Routine answers (ENOENT, EEXIST, ENODATA, ENOTEMPTY)
 * carry no stack trace. Immutable.
 */
public class CatenaException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final Status status;

  public CatenaException(Status status) {
    this(status, null);
  }

  public CatenaException(Status status, Throwable cause) {
    super(status.toString(), cause, false, !routine(status.code()));
    if (status.isOk()) {
      throw new IllegalArgumentException("a CatenaException needs an error status");
    }
    this.status = status;
  }

  /**
   * Answers programs ask for all the time (a negative lookup before every create, a name that exists, an absent
   * xattr): their message says what happened, and filling in a stack trace was a measurable share of a create.
   */
  private static boolean routine(Errno code) {
    return code == Errno.ENOENT || code == Errno.EEXIST || code == Errno.ENODATA || code == Errno.ENOTEMPTY;
  }

  public static CatenaException of(Errno code, String format, Object... args) {
    return new CatenaException(Status.of(code, format, args));
  }

  public static CatenaException retryable(Errno code, String format, Object... args) {
    return new CatenaException(Status.retryable(code, format, args));
  }

  public Status status() {
    return status;
  }

  public Errno errno() {
    return status.code();
  }

  public boolean isRetryable() {
    return status.retryable();
  }

  /**
   * The status behind any throwable: a CatenaException's own, unwrapping completion/execution wrappers, and EIO
   * with the throwable's description for everything else.
   */
  public static Status statusOf(Throwable t) {
    Throwable cur = t;
    for (int depth = 0; cur != null && depth < 16; depth++) {
      if (cur instanceof CatenaException ce) {
        return ce.status();
      }
      if (cur instanceof java.util.concurrent.CompletionException
          || cur instanceof java.util.concurrent.ExecutionException) {
        cur = cur.getCause();
        continue;
      }
      break;
    }
    if (cur instanceof java.util.concurrent.CancellationException) {
      return Status.of(Errno.ECANCELED, "cancelled");
    }
    if (cur instanceof java.util.concurrent.TimeoutException) {
      return Status.retryable(Errno.ETIMEDOUT, "timed out");
    }
    return Status.of(Errno.EIO, "%s", String.valueOf(cur));
  }
}
