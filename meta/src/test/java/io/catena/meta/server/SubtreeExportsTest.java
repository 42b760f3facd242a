package io.catena.meta.server;

import static io.catena.meta.MetaFixture.ROOT;
import static io.catena.meta.MetaFixture.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.common.net.Address;
import io.catena.meta.Inode;
import io.catena.meta.MetaFixture;
import io.catena.meta.MetaService;
import io.catena.meta.client.MetaClient;
import io.catena.meta.store.Subtrees;
import io.catena.meta.store.Subtrees.Ancestry;
import io.catena.mgmtd.exports.ExportGuard;
import io.catena.mgmtd.exports.ExportRules;
import io.catena.mgmtd.exports.GuardedService;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcConfig;
import io.catena.rpc.RpcServer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Export subtrees over real RPC on the mem engine: which rule a subdirectory mount gets, and that a call naming an
 * inode outside the mounted directory is refused with EACCES however the client came by the number.
 */
class SubtreeExportsTest {
  private final MetaFixture f = new MetaFixture();
  private final List<AutoCloseable> open = new ArrayList<>();
  private final ExportGuard guard = new ExportGuard(Clock.systemUTC());
  private final RpcServer server;
  private final Subtrees subtrees = new Subtrees(f.meta.context());

  private final Inode proj = f.openDir("proj");
  private final Inode sub = f.meta.mkdir(ROOT, proj.id(), "sub", 0777, null);
  private final Inode inside = f.file(ROOT, sub.id(), "in.txt", 0666);
  private final Inode secret = f.openDir("secret");
  private final Inode outsideFile = f.file(ROOT, secret.id(), "s.txt", 0666);

  SubtreeExportsTest() {
    guard.update(Optional.of(ExportRules.parse("127.0.0.1 /proj rw\n")));
    SubtreeConfinement confinement = new SubtreeConfinement(subtrees, Clock.systemUTC());
    server = Rpc.server(rpcConfig(), Address.tcp("127.0.0.1", 0), List.of(GuardedService.wrap(
        confinement.wrap(MetaRpcService.definition(f.meta)), guard, MetaExports.INSTANCE)));
    open.add(server);
  }

  private MetaClient client(String subdir) {
    RpcClient rpc = Rpc.client(rpcConfig());
    open.add(rpc);
    return new MetaClient(rpc, io.catena.meta.client.MetaServers.fixed(List.of(server.boundAddress())), "c1",
        new MetaClient.Options(1, Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofSeconds(10)),
        new SplittableRandom(1), d -> { }, subdir);
  }

  private static Config rpcConfig() {
    return Config.defaults(ConfigSchema.fromHolders(RpcConfig.class)).withUpdates(Map.of("rpc.io_threads", "1",
        "rpc.worker_threads", "2", "rpc.shutdown_grace", "0s"), "test", false);
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : open.reversed()) {
      c.close();
    }
  }

  @Test
  void aClientMatchingOnlySubtreeRules_isRefusedTheRoot_andGetsExactlyItsPath() {
    expect(Errno.EACCES, () -> client("/").getattr(ROOT, MetaService.ROOT));
    assertEquals(proj.id(), client("/proj").resolve(ROOT, MetaService.ROOT, "/proj", true).id());
    expect(Errno.EACCES, () -> client("/proj/sub").getattr(ROOT, sub.id())); // no alldirs: /proj only
    expect(Errno.EINVAL, () -> client("/proj/../secret").getattr(ROOT, secret.id()));
  }

  @Test
  void theFirstRuleThatAdmitsTheSubdirectory_decides() {
    guard.update(Optional.of(ExportRules.parse("127.0.0.1 /secret ro\n127.0.0.1 /proj ro,alldirs\n"
        + "127.0.0.1 /proj/sub rw\n")));
    expect(Errno.EROFS, () -> client("/proj/sub").mkdir(ROOT, sub.id(), "x", 0755, null)); // line 2 comes first
    guard.update(Optional.of(ExportRules.parse("127.0.0.1 /secret ro\n127.0.0.1 /proj/sub rw\n"
        + "127.0.0.1 /proj ro,alldirs\n")));
    assertEquals(sub.id(), client("/proj/sub").mkdir(ROOT, sub.id(), "x", 0755, null).parent());
    expect(Errno.EROFS, () -> client("/proj").mkdir(ROOT, proj.id(), "y", 0755, null));
    expect(Errno.EACCES, () -> client("/").getattr(ROOT, MetaService.ROOT));
  }

  @Test
  void inodesOutsideTheMountedDirectory_areUnreachable_filesAndDirectoriesAlike() {
    MetaClient c = client("/proj");
    assertEquals(inside.id(), c.getattr(ROOT, inside.id()).id());
    expect(Errno.EACCES, () -> c.getattr(ROOT, secret.id()));
    expect(Errno.EACCES, () -> c.getattr(ROOT, outsideFile.id()));
    expect(Errno.EACCES, () -> c.getattr(ROOT, MetaService.ROOT));
    expect(Errno.EACCES, () -> c.readdir(ROOT, secret.id(), null, 10, false));
    expect(Errno.EACCES, () -> c.batchGetattr(ROOT, List.of(inside.id(), outsideFile.id())));
    expect(Errno.EACCES, () -> c.resolve(ROOT, proj.id(), "../secret/s.txt", true));
    expect(Errno.EACCES, () -> c.realpath(ROOT, "/secret"));
    assertEquals(proj.id(), c.lookup(ROOT, proj.id(), "..").id(), "'..' of the mounted directory stays there");
    expect(Errno.ENOENT, () -> c.getattr(ROOT, 999_999)); // a number that names nothing is just missing
  }

  @Test
  void renameAndLinkAcrossTheBoundary_areRefused_andAMoveOutIsSeenAtOnce() {
    MetaClient c = client("/proj");
    expect(Errno.EACCES, () -> c.rename(ROOT, sub.id(), "in.txt", secret.id(), "stolen", 0, null));
    expect(Errno.EACCES, () -> c.rename(ROOT, secret.id(), "s.txt", sub.id(), "got", 0, null));
    expect(Errno.EACCES, () -> c.link(ROOT, outsideFile.id(), sub.id(), "hard", null));
    expect(Errno.EACCES, () -> c.link(ROOT, inside.id(), secret.id(), "hard", null));
    c.rename(ROOT, sub.id(), "in.txt", proj.id(), "moved.txt", 0, null); // within: fine, and the parent follows
    assertEquals(inside.id(), c.getattr(ROOT, inside.id()).id());
    f.meta.rename(ROOT, proj.id(), "sub", secret.id(), "sub", 0, null); // by a whole-tree client
    expect(Errno.EACCES, () -> c.getattr(ROOT, sub.id()));
  }

  @Test
  void ancestry_followsRecordedParents_ofDirectoriesAndFiles() {
    assertEquals(Ancestry.BENEATH, subtrees.beneath(inside.id(), proj.id()));
    assertEquals(Ancestry.BENEATH, subtrees.beneath(proj.id(), proj.id()));
    assertEquals(Ancestry.OUTSIDE, subtrees.beneath(outsideFile.id(), proj.id()));
    assertEquals(Ancestry.OUTSIDE, subtrees.beneath(MetaService.ROOT, proj.id()));
    assertEquals(Ancestry.MISSING, subtrees.beneath(424_242, proj.id()));
    f.meta.rename(ROOT, sub.id(), "in.txt", secret.id(), "in.txt", 0, null);
    assertEquals(Ancestry.OUTSIDE, subtrees.beneath(inside.id(), proj.id()), "a renamed file's parent follows it");
    f.meta.link(ROOT, outsideFile.id(), sub.id(), "linked", null);
    assertEquals(Ancestry.OUTSIDE, subtrees.beneath(outsideFile.id(), proj.id()),
        "a hard link keeps the directory the file was made in");
    assertEquals(sub.id(), subtrees.directoryAt("/proj/sub"));
    f.meta.symlink(ROOT, proj.id(), "link", "/secret", null);
    expect(Errno.ENOTDIR, () -> subtrees.directoryAt("/proj/link"));
    expect(Errno.ENOENT, () -> subtrees.directoryAt("/proj/nope"));
    assertTrue(subtrees.directoryAt("/") == MetaService.ROOT);
  }
}
