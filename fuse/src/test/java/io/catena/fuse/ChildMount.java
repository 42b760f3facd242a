package io.catena.fuse;

import java.nio.file.Path;
import java.util.Map;

/** Mounts a {@link MemoryFileSystem} in its own JVM for the lifecycle tests (SIGTERM, kill -9). */
public final class ChildMount {
  private ChildMount() {}

  public static void main(String[] args) throws Exception {
    FuseMount m = FuseMount.mount(Path.of(args[0]), new MemoryFileSystem(), TestSupport.config(Map.of()))
        .closeOnShutdown();
    System.out.println("mounted " + m.mountpoint());
    System.out.flush();
    m.awaitUnmounted();
  }
}
