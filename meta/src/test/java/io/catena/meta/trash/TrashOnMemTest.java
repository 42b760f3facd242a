package io.catena.meta.trash;

import io.catena.kv.KvEngine;

/** {@link TrashBehaviour} on the in-memory engine. */
class TrashOnMemTest extends TrashBehaviour {
  @Override
  KvEngine openEngine() {
    return null; // the fixture's own mem engine
  }
}
