package io.catena.fuse;

import java.time.Duration;
import java.util.Objects;

/** The answer to getattr and setattr: attributes and how long the kernel may cache them ({@code null}: the mount's
 * {@code fuse.attr_timeout}). Immutable. */
public record AttrReply(Attr attr, Duration timeout) {
  public AttrReply {
    Objects.requireNonNull(attr, "attr");
  }

  public static AttrReply of(Attr attr) {
    return new AttrReply(attr, null);
  }
}
