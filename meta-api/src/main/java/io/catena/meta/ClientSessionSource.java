package io.catena.meta;

import java.util.Set;

/** The clients whose sessions with mgmtd are alive. Implementations must be thread-safe. */
public interface ClientSessionSource {
  Set<String> liveClients();
}
