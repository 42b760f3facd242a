package io.catena.fuse;

import java.util.Objects;

/** The answer to create: the new (or, without O_EXCL, existing) entry and the open handle. Immutable. */
public record CreateReply(Entry entry, OpenReply open) {
  public CreateReply {
    Objects.requireNonNull(entry, "entry");
    Objects.requireNonNull(open, "open");
  }
}
