package io.catena.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.io.CatenaIo;
import io.catena.io.IoRing;
import io.catena.io.ring.Linux;
import io.catena.io.ring.RingLayout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Native I/O from C (libcatena_io.so) and Python (catena_io.py over it) programs, well-behaved and hostile, against
 * one real FUSE mount of Catena in this JVM ({@link NativeIoMountTest}'s): after every hostile program the daemon
 * still serves, and nothing the program did reaches outside its own registrations.
 */
class NativeIoProgramsTest {
  static final Path NATIVE = Path.of(System.getProperty("catena.io.native", "../io/target/native"))
      .toAbsolutePath().normalize();
  static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
  @org.junit.jupiter.api.io.TempDir
  static Path dir;
  static CatenaTestMount mount;
  static Path hostile;
  static Path mnt;
  static Path data;
  static byte[] bytes;

  @BeforeAll
  static void setUp() throws Exception {
    mount = CatenaTestMount.start(dir);
    mnt = mount.mnt;
    hostile = Path.of("target/ring_hostile").toAbsolutePath();
    Process gcc = new ProcessBuilder("gcc", "-O1", "-Wall", "-I" + NATIVE, "-o", hostile.toString(),
        Path.of("src/test/c/ring_hostile.c").toAbsolutePath().toString(), "-L" + NATIVE, "-lcatena_io",
        "-Wl,-rpath," + NATIVE).redirectErrorStream(true).start();
    String out = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, gcc.waitFor(), out);
    bytes = new byte[3 * 1024 * 1024 + 5];
    new Random(11).nextBytes(bytes);
    data = Files.write(mnt.resolve("programs.bin"), bytes);
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (mount != null) {
      mount.close();
    }
  }

  record Run(int exit, Map<String, String> values, String output) {}

  static Run run(List<String> cmd) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("PYTHONPATH", NATIVE.toString());
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + cmd);
    }
    String text = new String(out, StandardCharsets.UTF_8);
    Map<String, String> values = new HashMap<>();
    text.lines().filter(l -> l.matches("[a-z0-9]+=.*")).forEach(l -> values.put(l.substring(0, l.indexOf('=')),
        l.substring(l.indexOf('=') + 1)));
    return new Run(p.exitValue(), values, text);
  }

  static Run c(String mode) throws Exception {
    return run(List.of(hostile.toString(), mnt.toString(), data.toString(), mode));
  }

  static Run python(String mode, String... more) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(PYTHON, Path.of("src/test/python/ring_hostile.py").toAbsolutePath()
        .toString(), mnt.toString(), data.toString(), mode));
    cmd.addAll(List.of(more));
    return run(cmd);
  }

  static String fnv(byte[] b) {
    long h = 0xcbf29ce484222325L;
    for (byte x : b) {
      h = (h ^ (x & 0xff)) * 0x100000001b3L;
    }
    return String.format("%016x", h);
  }

  /** The daemon still serves: a fresh Java context reads the file. */
  static void stillServes() throws IOException {
    try (CatenaIo io = CatenaIo.create(mnt, 4096);
         CatenaIo.RegisteredFile f = io.open(data, Linux.O_RDONLY);
         IoRing r = io.ring(RingLayout.DIRECTION_READ, 4, RingLayout.PRIORITY_NORMAL)) {
      assertEquals(4096, r.transfer(f.fd(), 4096, 0, 4096));
      for (int i = 0; i < 4096; i++) {
        assertEquals(bytes[4096 + i], io.buffer().get(java.lang.foreign.ValueLayout.JAVA_BYTE, i));
      }
    }
  }

  static void awaitNoRegistrations() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!mount.iovs().isEmpty()) {
      assertTrue(System.nanoTime() < deadline, "left registered: " + mount.iovs());
      Thread.sleep(20);
    }
  }

  @Test
  void cAndPythonReadExactlyWhatTheMountWrote() throws Exception {
    Run fromC = c("read");
    assertEquals(fnv(bytes), fromC.values().get("fnv"), fromC.output());
    Run fromPython = python("read");
    assertEquals(fnv(bytes), fromPython.values().get("fnv"), fromPython.output());
    if (run(List.of(PYTHON, "-c", "import numpy")).exit() == 0) {
      assertEquals("1", fromPython.values().get("numpy"), "read through a NumPy view: " + fromPython.output());
    }
    awaitNoRegistrations();
  }

  @Test
  void pythonWritesThroughARing_andTheMountReadsItBackWithItsLength() throws Exception {
    Path target = mnt.resolve("from-python.bin");
    Run r = run(List.of(PYTHON, Path.of("src/test/python/ring_hostile.py").toAbsolutePath().toString(),
        mnt.toString(), target.toString(), "write"));
    assertEquals(Integer.toString(3 << 20), r.values().get("written"), r.output());
    assertEquals(3 << 20, Files.size(target));
    assertEquals(r.values().get("fnv"), fnv(Files.readAllBytes(target)));
  }

  @Test
  void malformedEntriesFromCAndPythonGetErrorCompletions() throws Exception {
    Run fromC = c("errors");
    assertEquals(Map.of("badfd", "-9", "pastbuffer", "-14", "lengthpast", "-14", "hugelength", "-22", "negative",
        "-22", "wrap", "-14", "flags", "-22", "good", "4096"), fromC.values(), fromC.output());
    Run fromPython = python("errors");
    assertEquals(Map.of("badfd", "-9", "pastbuffer", "-14", "lengthpast", "-14", "good", "4096"),
        fromPython.values(), fromPython.output());
    stillServes();
  }

  @Test
  void tornRingsAreDeregistered_whileTheProgramsOtherRingsKeepWorking() throws Exception {
    for (Run r : List.of(c("torn"), c("badcq"), python("torn"))) {
      assertEquals("1", r.values().get("closed"), r.output());
      assertEquals("100", r.values().get("other"), r.output());
    }
    stillServes();
  }

  @Test
  void sharedMemoryShrunkUnderTheDaemonGetsEfault_andTheDaemonStaysUp() throws Exception {
    Run r = c("truncate");
    for (int i = 0; i < 4; i++) {
      assertEquals("-14", r.values().get("truncated" + i), r.output());
    }
    assertEquals("100", r.values().get("good"), r.output());
    Run ring = c("ringtrunc");
    assertEquals("1", ring.values().get("gone"), ring.output());
    assertEquals("100", ring.values().get("other"), ring.output());
    stillServes();
  }

  @Test
  void programsThatDieMidIoAreDeregistered_andTheDaemonKeepsServing() throws Exception {
    assertEquals("1", c("die").values().get("dying"));
    assertEquals("1", python("die").values().get("dying"));
    awaitNoRegistrations();
    stillServes();
  }

  @Test
  void aNonOwnerCannotReadA0600FileThroughARing_evenWithAnInheritedDescriptor() throws Exception {
    Path secret = Files.write(mnt.resolve("secret.bin"), "top secret".getBytes(StandardCharsets.UTF_8));
    Files.setPosixFilePermissions(secret, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    String script = Path.of("src/test/python/ring_hostile.py").toAbsolutePath().toString();
    Run r = run(List.of("sh", "-c", "exec setpriv --reuid 65534 --regid 65534 --clear-groups " + PYTHON + " "
        + script + " " + mnt + " " + secret + " noaccess 3 3<" + secret));
    assertEquals("-13", r.values().get("open"), r.output());
    assertEquals("-13", r.values().get("register"), r.output());
    assertTrue(!r.values().containsKey("ringread"), r.output());
    awaitNoRegistrations();
  }
}
