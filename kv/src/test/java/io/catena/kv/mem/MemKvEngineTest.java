package io.catena.kv.mem;

import io.catena.kv.KvEngine;
import io.catena.kv.KvEngineConformanceTest;
import io.catena.kv.KvFaults;
import java.time.Clock;

class MemKvEngineTest extends KvEngineConformanceTest {
  @Override
  protected KvEngine newEngine(KvFaults faults, Clock clock) {
    return new MemKvEngine("mem://", null, faults, clock);
  }
}
