package io.catena.admin;

import io.catena.common.Errno;

/**
 * What {@code catena admin} exit codes mean; scripts may rely on them. {@code health} has its own (0 healthy,
 * 1 degraded, 2 unreachable). Constants only.
 */
public final class ExitCodes {
  private ExitCodes() {}

  public static final int OK = 0;
  /** The cluster (or the local KV store) refused or failed the operation; the error line names the errno. */
  public static final int REFUSED = 1;
  /** Bad command line (picocli's usage errors). */
  public static final int USAGE = 2;
  /** No mgmtd or meta answered within the timeout. */
  public static final int UNREACHABLE = 3;
  /** The token is missing, unknown or not an admin's. */
  public static final int DENIED = 4;

  /** The footer every command's --help ends with. */
  public static final String FOOTER = "%nExit codes: 0 done, 1 refused or failed (the error names the errno), "
      + "2 bad usage, 3 cluster unreachable, 4 token missing or not allowed.";

  static int of(Errno e) {
    return switch (e) {
      case ETIMEDOUT, ECONNREFUSED, ECONNRESET, EHOSTUNREACH, ENETUNREACH, ESHUTDOWN -> UNREACHABLE;
      case EACCES, EPERM, EKEYREJECTED -> DENIED;
      default -> REFUSED;
    };
  }
}
