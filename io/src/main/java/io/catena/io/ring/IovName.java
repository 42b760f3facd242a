package io.catena.io.ring;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The name of one registration in {@code MNT/.catena-virt/iovs/}: what it is, parsed from the symlink's name. The
 * grammar (ABNF; docs/native-io.md has examples):
 * <pre>
 * name     = key "." role
 * key      = 1*64( ALPHA / DIGIT / "-" / "_" )        ; groups a buffer, its rings and its files
 * role     = "buf"                                    ; the key's data buffer
 *          / dir entries [ "p" prio ] [ "-" tag ]     ; a ring over the key's buffer
 *          / "fd" 1*9DIGIT                            ; a descriptor of the registering process
 * dir      = "r" / "w"                                ; reads into the buffer / writes from it
 * entries  = 1*4DIGIT                                 ; queue depth: a power of two, 1..4096
 * prio     = "0" / "1" / "2"                          ; high / normal (the default) / low
 * tag      = 1*16( ALPHA / DIGIT )                    ; tells apart rings of the same shape
 * </pre>
 * e.g. {@code job7.buf}, {@code job7.r64}, {@code job7.w16p0-b}, {@code job7.fd5}. Immutable.
 *
 * @param fd the descriptor number for {@link Kind#FD}, else -1
 */
public record IovName(String name, String key, Kind kind, int direction, int entries, int priority, int fd) {

  public enum Kind { BUFFER, RING, FD }

  private static final Pattern GRAMMAR = Pattern.compile(
      "([A-Za-z0-9_-]{1,64})\\.(?:(buf)|([rw])([0-9]{1,4})(?:p([0-2]))?(?:-[A-Za-z0-9]{1,16})?|fd([0-9]{1,9}))");

  /** The registration {@code name} names, or empty when it does not follow the grammar. */
  public static Optional<IovName> parse(String name) {
    Matcher m = GRAMMAR.matcher(name);
    if (!m.matches()) {
      return Optional.empty();
    }
    String key = m.group(1);
    if (m.group(2) != null) {
      return Optional.of(new IovName(name, key, Kind.BUFFER, -1, 0, -1, -1));
    }
    if (m.group(6) != null) {
      return Optional.of(new IovName(name, key, Kind.FD, -1, 0, -1, Integer.parseInt(m.group(6))));
    }
    int entries = Integer.parseInt(m.group(4));
    if (!RingLayout.validEntries(entries)) {
      return Optional.empty();
    }
    int direction = m.group(3).equals("r") ? RingLayout.DIRECTION_READ : RingLayout.DIRECTION_WRITE;
    int prio = m.group(5) == null ? RingLayout.PRIORITY_NORMAL : Integer.parseInt(m.group(5));
    return Optional.of(new IovName(name, key, Kind.RING, direction, entries, prio, -1));
  }

  /** The name of a ring; {@code tag} may be null. */
  public static String ring(String key, int direction, int entries, int priority, String tag) {
    return key + "." + (direction == RingLayout.DIRECTION_READ ? "r" : "w") + entries + "p" + priority
        + (tag == null ? "" : "-" + tag);
  }

  public static String buffer(String key) {
    return key + ".buf";
  }

  public static String fd(String key, int fd) {
    return key + ".fd" + fd;
  }
}
