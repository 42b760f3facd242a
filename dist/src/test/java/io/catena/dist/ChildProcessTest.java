package io.catena.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ChildProcessTest {
  @Test
  void theLaunchersJavaOptions_reachEveryChildJvmAsSeparateArguments() {
    assertEquals(List.of(), ChildProcess.jvmOptions(null));
    assertEquals(List.of(), ChildProcess.jvmOptions("  "));
    assertEquals(List.of("-XX:TieredStopAtLevel=1", "-Xmx2g"),
        ChildProcess.jvmOptions(" -XX:TieredStopAtLevel=1 \t -Xmx2g\n"));
  }
}
