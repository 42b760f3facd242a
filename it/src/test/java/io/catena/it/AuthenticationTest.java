package io.catena.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Users and tokens through the real launcher and real mounts: a mount authenticated as an ordinary user acts as that
 * user whatever the calling process is, and a revoked token gets EACCES at the mount without taking it down.
 */
class AuthenticationTest {
  @TempDir static Path data;
  static SingleMachineCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    // A short token cache, so a revocation shows within the test's patience.
    cluster = SingleMachineCluster.start(data, Map.of("CATENA_RPC_AUTH_CACHE_TTL", "300ms"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static Launcher.Result admin(String... args) {
    String[] all = new String[args.length + 3];
    all[0] = "admin";
    System.arraycopy(args, 0, all, 1, 1);
    all[2] = "--data";
    all[3] = data.toString();
    System.arraycopy(args, 1, all, 4, args.length - 1);
    return Launcher.run(all);
  }

  @Test
  void anOrdinaryUsersMount_actsAsThatUser_andARevokedTokenGetsEacces() throws Exception {
    Path aliceToken = data.resolve("alice.token");
    Launcher.Result add = admin("user-add", "--name", "alice", "--uid", "1000", "--gid", "1000", "--token-out",
        aliceToken.toString());
    assertEquals(0, add.exitCode(), add.out() + add.err());
    Path shared = Files.createDirectory(cluster.mnt.resolve("shared"));
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));

    Path aliceMnt = cluster.secondMount("alice-mnt", aliceToken);
    // This test runs as root, but the mount's token is alice's: files are hers, root's directory is closed to her.
    Files.writeString(aliceMnt.resolve("shared/hers.txt"), "written through alice's mount\n");
    assertEquals(1000, Files.getAttribute(cluster.mnt.resolve("shared/hers.txt"), "unix:uid"));
    assertThrows(AccessDeniedException.class, () -> Files.createFile(aliceMnt.resolve("not-in-root-dir")));

    Launcher.Result revoke = admin("user-remove", "--uid", "1000");
    assertEquals(0, revoke.exitCode(), revoke.out() + revoke.err());
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    int n = 0;
    while (true) {
      Path probe = aliceMnt.resolve("shared/after-revoke-" + n++);
      try {
        Files.createFile(probe);
      } catch (AccessDeniedException expected) {
        break;
      }
      assertTrue(System.nanoTime() < deadline, "a removed user's mount still creates files after 30 s");
      Thread.sleep(100); // polling a condition with a deadline: the token cache expires on its own clock
    }
    // Refused, not crashed: the mount still answers (with EACCES), and the admin's mount is unaffected.
    assertThrows(AccessDeniedException.class, () -> Files.createFile(aliceMnt.resolve("shared/still-refused")));
    assertEquals("written through alice's mount\n", Files.readString(cluster.mnt.resolve("shared/hers.txt")));
  }
}
