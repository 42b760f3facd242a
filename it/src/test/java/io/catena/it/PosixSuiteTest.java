package io.catena.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The POSIX behaviour suite (it/src/test/resources/posix/posix_suite.py) through a real mount of a real cluster:
 * files and flags, sparse files and truncates, directories, links, renames (renameat2 flags too), timestamps,
 * xattrs, FIFOs, statfs, an O_CREAT|O_EXCL race, permissions as uid 1000/1001 via setpriv (sticky and setgid rules),
 * and a readdir of 10,000 entries. Expected errnos are Linux's: the script passes unchanged on ext4 and tmpfs.
 */
class PosixSuiteTest {
  @TempDir
  static Path tmp;
  static SingleMachineCluster cluster;
  static PosixScripts scripts;

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

  @Test
  void posixSuite_asRootAndAsOtherUsers_matchesLinux() {
    PosixScripts.Outcome r = scripts.python(Duration.ofMinutes(5), Map.of("POSIX_READDIR_ENTRIES", "10000"),
        "posix_suite.py", cluster.mnt.toString());
    r.assertAllPassed();
    assertTrue(r.passed() >= 150, "expected the whole suite to run, saw " + r.passed() + " passing checks");
  }
}
