package io.catena.common;

import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of an operation anywhere in Catena: a POSIX-style code, a message for people, whether the caller
 * may retry the same request, and optionally where to send it instead ("not primary: ask node 2"). Immutable.
 */
public record Status(Errno code, String message, boolean retryable, Optional<Redirect> redirect) {

  private static final Status OK = new Status(Errno.OK, "", false, Optional.empty());

  /** Where a request should go instead: a node id and, when known, its address ({@code tcp://host:port}). */
  public record Redirect(long nodeId, String address) {
    public Redirect {
      Objects.requireNonNull(address, "address");
    }
  }

  public Status {
    Objects.requireNonNull(code, "code");
    message = message == null ? "" : message;
    Objects.requireNonNull(redirect, "redirect");
  }

  public static Status ok() {
    return OK;
  }

  /** A final (non-retryable) failure. */
  public static Status of(Errno code, String format, Object... args) {
    return new Status(code, format(format, args), false, Optional.empty());
  }

  /** A failure the caller may retry unchanged, e.g. a stale routing view or a transaction conflict. */
  public static Status retryable(Errno code, String format, Object... args) {
    return new Status(code, format(format, args), true, Optional.empty());
  }

  /** This server is not the primary; the caller should retry against {@code nodeId} at {@code address}. */
  public static Status notPrimary(long nodeId, String address) {
    return new Status(Errno.EAGAIN, "not primary: ask node " + nodeId + (address.isEmpty() ? "" : " at " + address),
        true, Optional.of(new Redirect(nodeId, address)));
  }

  /** The same status with another message (e.g. one that names the call that failed). */
  public Status withMessage(String other) {
    return new Status(code, other, retryable, redirect);
  }

  public boolean isOk() {
    return code == Errno.OK;
  }

  /** Throws a {@link CatenaException} carrying this status unless it is OK. */
  public void throwIfError() {
    if (!isOk()) {
      throw new CatenaException(this);
    }
  }

  public CatenaException asException() {
    return new CatenaException(this);
  }

  @Override
  public String toString() {
    if (isOk()) {
      return "OK";
    }
    StringBuilder sb = new StringBuilder(code.name());
    if (!message.isEmpty()) {
      sb.append(": ").append(message);
    }
    if (retryable) {
      sb.append(" (retryable)");
    }
    return sb.toString();
  }

  private static String format(String format, Object... args) {
    return args.length == 0 ? format : String.format(format, args);
  }
}
