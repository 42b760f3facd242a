package io.catena.io.ring;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Atomic access to the 32-bit words of a ring in shared memory, in the access modes {@link RingLayout} names.
 * Thread-safe: stateless.
 */
public final class Words {
  private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

  private Words() {}

  public static int getAcquire(MemorySegment ring, long offset) {
    return (int) INT.getAcquire(ring, offset);
  }

  public static void setRelease(MemorySegment ring, long offset, int value) {
    INT.setRelease(ring, offset, value);
  }

  public static int getVolatile(MemorySegment ring, long offset) {
    return (int) INT.getVolatile(ring, offset);
  }

  public static void setVolatile(MemorySegment ring, long offset, int value) {
    INT.setVolatile(ring, offset, value);
  }

  public static int getPlain(MemorySegment ring, long offset) {
    return (int) INT.get(ring, offset);
  }

  public static void setPlain(MemorySegment ring, long offset, int value) {
    INT.set(ring, offset, value);
  }

  public static int getAndAdd(MemorySegment ring, long offset, int delta) {
    return (int) INT.getAndAdd(ring, offset, delta);
  }

  /** A full (seq_cst) fence: orders the caller's earlier stores before its later loads. */
  public static void fullFence() {
    VarHandle.fullFence();
  }
}
