package io.catena.dist;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.common.net.Address;
import io.catena.rpc.BuiltinService;
import io.catena.rpc.CallOptions;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcConfig;
import io.catena.rpc.proto.ServerInfoRequest;
import io.catena.rpc.proto.ServerInfoResponse;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code catena status}: asks a running Catena process what it is. */
@Command(name = "status", description = "Ask a running control process how it is.")
final class StatusCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--address", paramLabel = "ADDRESS", defaultValue = "tcp://127.0.0.1:8000",
      description = "control process address (default: ${DEFAULT-VALUE})")
  String address;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5s", description = "default: ${DEFAULT-VALUE}")
  String timeout;

  @Override
  public Integer call() {
    Address target = Address.parse(address);
    Duration t = io.catena.common.config.Durations.parse(timeout);
    Config config = Config.defaults(ConfigSchema.fromHolders(RpcConfig.class));
    try (RpcClient client = Rpc.client(config)) {
      ServerInfoResponse info;
      try {
        info = client.call(target, BuiltinService.SERVER_INFO, ServerInfoRequest.getDefaultInstance(), null,
            CallOptions.timeout(t)).join().message();
      } catch (RuntimeException e) {
        var s = CatenaException.statusOf(e);
        throw CatenaException.of(s.code(), "cannot reach %s (%s); is `catena up` running there?", target,
            s.message());
      }
      var out = spec.commandLine().getOut();
      out.println("address       " + info.getAddress());
      if (!info.getRole().isEmpty()) {
        out.println("role          " + info.getRole());
      }
      out.println("transport     " + info.getTransport());
      out.println("uptime        " + Duration.ofMillis(info.getUptimeMillis()).toSeconds() + "s");
      out.println("services      " + String.join(", ", info.getServicesList()));
      out.println("connections   " + info.getOpenConnections());
      if (info.getAddress().isEmpty()) {
        throw CatenaException.of(Errno.EPROTO, "%s answered without an address", target);
      }
    }
    return 0;
  }
}
