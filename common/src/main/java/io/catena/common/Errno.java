package io.catena.common;

/**
 * POSIX-style error codes carried end to end, from the KV store to the FUSE reply. The numeric values are
 * Linux's, so the FUSE layer can answer with {@code -errno()} directly. Immutable.
 */
public enum Errno {
  OK(0),
  EPERM(1),
  ENOENT(2),
  EINTR(4),
  EIO(5),
  ENXIO(6),
  E2BIG(7),
  EBADF(9),
  EAGAIN(11),
  ENOMEM(12),
  EACCES(13),
  EFAULT(14),
  EBUSY(16),
  EEXIST(17),
  EXDEV(18),
  ENODEV(19),
  ENOTDIR(20),
  EISDIR(21),
  EINVAL(22),
  EMFILE(24),
  ETXTBSY(26),
  EFBIG(27),
  ENOSPC(28),
  ESPIPE(29),
  EROFS(30),
  EMLINK(31),
  ERANGE(34),
  EDEADLK(35),
  ENAMETOOLONG(36),
  ENOLCK(37),
  ENOSYS(38),
  ENOTEMPTY(39),
  ELOOP(40),
  ENODATA(61),
  ETIME(62),
  EPROTO(71),
  EBADMSG(74),
  EOVERFLOW(75),
  EILSEQ(84),
  EMSGSIZE(90),
  EPROTONOSUPPORT(93),
  EOPNOTSUPP(95),
  EADDRINUSE(98),
  ENETUNREACH(101),
  ECONNABORTED(103),
  ECONNRESET(104),
  ENOBUFS(105),
  ENOTCONN(107),
  ESHUTDOWN(108),
  ETIMEDOUT(110),
  ECONNREFUSED(111),
  EHOSTUNREACH(113),
  EALREADY(114),
  ESTALE(116),
  EDQUOT(122),
  ECANCELED(125),
  EKEYREJECTED(129);

  private static final Errno[] BY_CODE = new Errno[256];

  static {
    for (Errno e : values()) {
      BY_CODE[e.code] = e;
    }
  }

  private final int code;

  Errno(int code) {
    this.code = code;
  }

  /** The Linux errno value. */
  public int code() {
    return code;
  }

  /** The errno for a Linux code; unknown codes map to {@link #EIO} so a peer's new code never crashes us. */
  public static Errno fromCode(int code) {
    if (code >= 0 && code < BY_CODE.length && BY_CODE[code] != null) {
      return BY_CODE[code];
    }
    return EIO;
  }
}
