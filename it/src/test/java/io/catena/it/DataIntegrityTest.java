package io.catena.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * File data through a real mount checked against models (it/src/test/resources/posix/data_integrity.py): random
 * pwrite/pread/ftruncate/reopen on files of up to 24 MiB (1 MiB chunks over every chain of the table) against a
 * byte array, four concurrent writers verified by sha256, and a second mount of the same cluster reading what the
 * first one wrote and closed: at once (close-to-open, even with the file's old size cached there), and while open
 * there after an unlink here.
 */
class DataIntegrityTest {
  private static final Pattern SHA = Pattern.compile("SHA256 ([0-9a-f]{64})");

  @TempDir
  static Path tmp;
  static SingleMachineCluster cluster;
  static PosixScripts scripts;
  static Path second;

  @BeforeAll
  static void up() throws Exception {
    scripts = PosixScripts.install(tmp);
    cluster = SingleMachineCluster.start(tmp.resolve("data"));
  }

  @AfterAll
  static void down() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** The second mount of the cluster, started by the first test that needs it. */
  private static synchronized Path second() throws Exception {
    if (second == null) {
      second = cluster.secondMount("mnt2");
    }
    return second;
  }

  private static Path dir(String name) throws Exception {
    return Files.createDirectories(cluster.mnt.resolve(name));
  }

  @Test
  void randomWritesReadsAndTruncates_agreeWithAnInMemoryModel() throws Exception {
    Path d = dir("model");
    for (String seed : new String[] {"1", "2"}) {
      scripts.python(Duration.ofSeconds(90), Map.of(), "data_integrity.py", "model", d.toString(), seed)
          .assertAllPassed();
    }
  }

  @Test
  void fourConcurrentWritersOnDifferentFiles_eachReadsBackByteForByte() throws Exception {
    scripts.python(Duration.ofSeconds(90), Map.of(), "data_integrity.py", "writers", dir("writers").toString(), "7")
        .assertAllPassed();
  }

  @Test
  void aFileWrittenAndClosedOnOneMount_readsIdenticallyOnAnother() throws Exception {
    Path second = second();
    Path file = dir("shared").resolve("spanning-chunks");
    String written = sha(scripts.python(Duration.ofSeconds(60), Map.of(), "data_integrity.py", "write",
        file.toString(), "42", "9"));
    Path there = second.resolve("shared").resolve("spanning-chunks");
    assertEquals(9L << 20, Files.size(there), "size seen by the second mount");
    String read = sha(scripts.python(Duration.ofSeconds(60), Map.of(), "data_integrity.py", "sha", there.toString()));
    assertEquals(written, read, "sha256 of the file through the second mount");
    // and back: the second mount's closed file is whole on the first
    Path back = second.resolve("shared").resolve("from-second");
    String w2 = sha(scripts.python(Duration.ofSeconds(60), Map.of(), "data_integrity.py", "write", back.toString(),
        "43", "3"));
    assertEquals(w2, sha(scripts.python(Duration.ofSeconds(60), Map.of(), "data_integrity.py", "sha",
        cluster.mnt.resolve("shared").resolve("from-second").toString())));
  }

  @Test
  void aFileRewrittenOnOneMount_isReadWholeAtOnceOnAnotherThatHadItCached() throws Exception {
    Path here = dir("rewritten").resolve("f");
    Path there = second().resolve("rewritten").resolve("f");
    scripts.python(Duration.ofSeconds(60), Map.of(), "data_integrity.py", "rewrite", here.toString(),
        there.toString()).assertAllPassed();
  }

  @Test
  void aFileUnlinkedOnOneMount_staysReadableWhereItIsOpen() throws Exception {
    scripts.python(Duration.ofSeconds(60), Map.of(), "data_integrity.py", "unlink-open",
        dir("unlinked").resolve("f").toString(), second().resolve("unlinked").resolve("f").toString())
        .assertAllPassed();
  }

  private static String sha(PosixScripts.Outcome o) {
    o.assertAllPassed();
    Matcher m = SHA.matcher(o.out());
    assertTrue(m.find(), "no SHA256 line in:\n" + o.out());
    return m.group(1);
  }
}
