package io.catena.io.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RingLayoutTest {
  @TempDir
  Path dir;

  /** The C header is the other half of the format: every shared constant must agree with RingLayout's. */
  @Test
  void theCHeaderAgreesWithRingLayout() throws Exception {
    Path nativeDir = Path.of(System.getProperty("catena.io.native", "target/native"));
    Map<String, String> pairs = new LinkedHashMap<>();
    for (Field f : RingLayout.class.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class
          && (f.getName().startsWith("OFF_") || f.getName().startsWith("STATE_") || f.getName().startsWith("SLEEP_"))) {
        pairs.put(f.getName(), "CIO_" + f.getName());
      }
    }
    StringBuilder c = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n#include \"catena_io.h\"\n"
        + "int main(void) {\n");
    List<String> expected = new ArrayList<>();
    for (var e : pairs.entrySet()) {
      c.append("  printf(\"%s=%ld\\n\", \"").append(e.getKey()).append("\", (long)").append(e.getValue())
          .append(");\n");
      expected.add(e.getKey() + "=" + RingLayout.class.getField(e.getKey()).getInt(null));
    }
    String[][] more = {
        {"MAGIC", "(long)CIO_RING_MAGIC", "" + RingLayout.MAGIC},
        {"VERSION", "(long)CIO_RING_VERSION", "" + RingLayout.VERSION},
        {"SQ_START", "(long)CIO_SQ_START", "" + RingLayout.SQ_START},
        {"SQE_SIZE", "(long)sizeof(struct cio_sqe)", "" + RingLayout.SQE_SIZE},
        {"CQE_SIZE", "(long)sizeof(struct cio_cqe)", "" + RingLayout.CQE_SIZE},
        {"SQE_USER_DATA", "(long)offsetof(struct cio_sqe, user_data)", "" + RingLayout.SQE_USER_DATA},
        {"SQE_FILE_OFFSET", "(long)offsetof(struct cio_sqe, file_offset)", "" + RingLayout.SQE_FILE_OFFSET},
        {"SQE_BUF_OFFSET", "(long)offsetof(struct cio_sqe, buf_offset)", "" + RingLayout.SQE_BUF_OFFSET},
        {"SQE_LENGTH", "(long)offsetof(struct cio_sqe, length)", "" + RingLayout.SQE_LENGTH},
        {"SQE_FD", "(long)offsetof(struct cio_sqe, fd)", "" + RingLayout.SQE_FD},
        {"SQE_FLAGS", "(long)offsetof(struct cio_sqe, flags)", "" + RingLayout.SQE_FLAGS},
        {"CQE_USER_DATA", "(long)offsetof(struct cio_cqe, user_data)", "" + RingLayout.CQE_USER_DATA},
        {"CQE_RESULT", "(long)offsetof(struct cio_cqe, result)", "" + RingLayout.CQE_RESULT},
        {"MAX_ENTRIES", "(long)CIO_MAX_ENTRIES", "" + RingLayout.MAX_ENTRIES},
        {"MAX_LENGTH", "(long)CIO_MAX_LENGTH", "" + RingLayout.MAX_LENGTH},
        {"READ", "(long)CIO_READ", "" + RingLayout.DIRECTION_READ},
        {"WRITE", "(long)CIO_WRITE", "" + RingLayout.DIRECTION_WRITE},
        {"PRIO_LOW", "(long)CIO_PRIO_LOW", "" + RingLayout.PRIORITY_LOW},
    };
    for (String[] m : more) {
      c.append("  printf(\"%s=%ld\\n\", \"").append(m[0]).append("\", ").append(m[1]).append(");\n");
      expected.add(m[0] + "=" + m[2]);
    }
    c.append("  return 0;\n}\n");
    Path src = Files.writeString(dir.resolve("layout.c"), c);
    Path exe = dir.resolve("layout");
    Process gcc = new ProcessBuilder("gcc", "-I" + nativeDir, "-o", exe.toString(), src.toString())
        .redirectErrorStream(true).start();
    String gccOut = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, gcc.waitFor(), gccOut);
    Process run = new ProcessBuilder(exe.toString()).redirectErrorStream(true).start();
    List<String> got = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    assertEquals(0, run.waitFor());
    assertEquals(expected, got);
    assertTrue(pairs.size() > 20, "constants compared: " + pairs.keySet());
  }

  @Test
  void namesFollowTheGrammar() {
    IovName buf = IovName.parse("job7.buf").orElseThrow();
    assertEquals(IovName.Kind.BUFFER, buf.kind());
    assertEquals("job7", buf.key());
    IovName ring = IovName.parse("job-7_x.w16p0-b2").orElseThrow();
    assertEquals(IovName.Kind.RING, ring.kind());
    assertEquals(RingLayout.DIRECTION_WRITE, ring.direction());
    assertEquals(16, ring.entries());
    assertEquals(RingLayout.PRIORITY_HIGH, ring.priority());
    assertEquals(RingLayout.PRIORITY_NORMAL, IovName.parse("k.r64").orElseThrow().priority());
    IovName fd = IovName.parse("k.fd12").orElseThrow();
    assertEquals(12, fd.fd());
    assertEquals(IovName.Kind.FD, fd.kind());
    for (String bad : List.of("k.r63", "k.r0", "k.r8192", "k.r64p3", "k.x", ".buf", "a/b.buf", "k.buf.x",
        "k..buf", "k.fd", "k.fd-1", "k".repeat(65) + ".buf", "k.r64-", "k.r64-toolongtag1234567")) {
      assertEquals(Optional.empty(), IovName.parse(bad), bad);
    }
    assertEquals("k.r64p1-3", IovName.ring("k", RingLayout.DIRECTION_READ, 64, 1, "3"));
    assertTrue(IovName.parse(IovName.ring("k", 1, 4096, 2, null)).isPresent());
  }

  @Test
  void ringSizesAreWholePagesHoldingBothQueues() {
    assertEquals(4096, RingLayout.size(1));
    assertEquals(8192, RingLayout.size(64)); // 512 + 64 * 80 = 5632
    assertEquals(512 + 4096L * 64, RingLayout.cqStart(4096));
    assertTrue(RingLayout.size(4096) >= RingLayout.cqStart(4096) + 4096L * 16);
  }
}
