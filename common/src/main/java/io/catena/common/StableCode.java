package io.catena.common;

/**
 * An enum whose constants carry a numeric code that is stored and sent on the wire, so it never changes when constants
 * are added or reordered (the ordinal would). Implementations are immutable enums.
 */
public interface StableCode {
  int code();

  /** The constant of {@code type} with {@code code}; an unknown code (newer writer, corrupt record) is refused. */
  static <E extends Enum<E> & StableCode> E fromCode(Class<E> type, int code) {
    for (E e : type.getEnumConstants()) {
      if (e.code() == code) {
        return e;
      }
    }
    throw new IllegalArgumentException("unknown " + type.getSimpleName() + " code " + code);
  }
}
