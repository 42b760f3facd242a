package io.catena.kv.etcd;

import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One etcd for a test class: started before its first test, stopped after its last. Register it as a static field
 * with {@code @RegisterExtension}; it answers like the {@link EtcdProcess} it holds. Not thread-safe: JUnit calls
 * its callbacks on one thread, and the tests only read the process once it started.
 */
final class EtcdPerClass implements BeforeAllCallback, AfterAllCallback {
  private final Supplier<EtcdProcess> starter;
  private EtcdProcess etcd;

  /** A one-member etcd with default limits. */
  EtcdPerClass() {
    this(EtcdProcess::start);
  }

  EtcdPerClass(Supplier<EtcdProcess> starter) {
    this.starter = starter;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    TestLogs.quietGrpc();
    etcd = starter.get();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (etcd != null) {
      etcd.close();
      etcd = null;
    }
  }

  String url(String prefix) {
    return etcd.url(prefix);
  }

  List<String> endpoints() {
    return etcd.endpoints();
  }

  void kill(int member) {
    etcd.kill(member);
  }

  void restart(int member) {
    etcd.restart(member);
  }
}
