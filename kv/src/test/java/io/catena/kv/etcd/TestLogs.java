package io.catena.kv.etcd;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps gRPC's and Netty's DEBUG frame logs out of the kv test output (logback's default level is DEBUG, and a
 * 4 MiB value logged frame by frame made 20 MB of report). Stateless; thread-safe.
 */
final class TestLogs {
  private TestLogs() {}

  static void quietGrpc() {
    if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext) {
      for (String name : new String[] {"io.grpc", "io.netty"}) {
        ((Logger) LoggerFactory.getLogger(name)).setLevel(Level.INFO);
      }
    }
  }
}
