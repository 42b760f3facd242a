package io.catena.dist;

import io.catena.common.config.Config;
import io.catena.common.net.Address;
import io.catena.metalogger.MetalogClient;
import io.catena.metalogger.Metalogger;
import io.catena.metalogger.MetaloggerConfig;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcServer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code catena metalogger}: the metadata logger in the foreground (see {@link Metalogger}); its lag is in DIR/status,
 * in its log and in the role {@code catena status --address} shows.
 */
@Command(name = "metalogger", description = {"Keep a checkpoint and a change log of a control process's embedded "
    + "(rocksdb://) metadata store in DIR, streamed as commits happen (runs in the foreground; SIGTERM stops it).",
    "Rebuild a store from DIR with `catena admin meta-restore --from DIR --to NEW_KV_DIR`."})
final class MetaloggerCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Mixin
  ConfigOptions configOptions;

  @Option(names = "--mgmtd", paramLabel = "ADDRESS", required = true,
      description = "the control process's address (tcp://host:port)")
  String mgmtd;

  @Option(names = "--dir", paramLabel = "DIR", required = true, description = "where checkpoints and change logs go")
  Path dir;

  @Option(names = "--listen", paramLabel = "ADDRESS", description = "sets metalogger.listen (status answers)")
  String listen;

  @Override
  public Integer call() throws InterruptedException {
    Map<String, String> flags = listen == null ? Map.of() : Map.of(MetaloggerConfig.LISTEN.name(), listen);
    Config config = configOptions.load(spec.commandLine(), "metalogger", flags);
    Address control = Address.parse(mgmtd);
    RpcClient rpc = Rpc.client(config);
    Metalogger logger = new Metalogger(new MetalogClient(rpc, control, Duration.ofSeconds(30)), dir, config,
        Clock.systemUTC()).start();
    RpcServer status = Rpc.server(config, Address.parse(config.get(MetaloggerConfig.LISTEN)), List.of());
    status.describeRole(() -> logger.status().line());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      status.close();
      logger.close();
      rpc.close();
      stopped.countDown();
    }, "catena-shutdown"));
    spec.commandLine().getOut().println("metalogger following " + control + " into " + dir.toAbsolutePath()
        + "; status on " + status.boundAddress() + " (catena status --address) and in " + dir.resolve("status"));
    spec.commandLine().getOut().flush();
    stopped.await();
    return 0;
  }
}
