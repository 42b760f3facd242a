package io.catena.meta.client;

import io.catena.common.config.Key;
import java.time.Duration;

/** The {@code meta.client.*} configuration keys of {@link MetaClient}. Immutable constants. */
public final class MetaClientConfig {
  private MetaClientConfig() {}

  public static final Key<Integer> CLIENT_MAX_ATTEMPTS = Key.integer("meta.client.max_attempts").defaultValue("0")
      .range("0", "1000").doc("Attempts (the first included) a meta client makes for one call before it gives up "
          + "with the last retryable error; each retry goes to the next meta server. 0: no count, only "
          + "meta.client.deadline ends them (a mount waits out a control-process restart, as NFS hard mounts do).");
  public static final Key<Duration> CLIENT_INITIAL_BACKOFF = Key.duration("meta.client.initial_backoff")
      .defaultValue("20ms").min("0s").doc("Bound of the random pause before the second retry of a meta call; it "
          + "doubles per retry up to meta.client.max_backoff (the first retry, a failover, goes at once).");
  public static final Key<Duration> CLIENT_MAX_BACKOFF = Key.duration("meta.client.max_backoff")
      .defaultValue("1s").min("0s").doc("Largest random pause between retries of a meta call.");
  public static final Key<Duration> CLIENT_CALL_TIMEOUT = Key.duration("meta.client.call_timeout")
      .defaultValue("20s").min("1ms").doc("How long one attempt of a meta call waits for its reply; longer than "
          + "kv.retry.timeout so a server still retrying a contended transaction is not abandoned.");
  public static final Key<Duration> CLIENT_DEADLINE = Key.duration("meta.client.deadline")
      .defaultValue("60s").min("1ms").doc("How long one meta call may take in all, every attempt and pause included, "
          + "while the metadata service cannot answer (control process restarting, KV store down); then it fails with "
          + "ETIMEDOUT (at a mount: EIO, as NFS soft mounts and mfsmount answer).");
  public static final Key<Duration> CLIENT_FAILOVER_READ_DELAY = Key.duration("meta.client.failover_read_delay")
      .defaultValue("50ms").range("0s", "10s").doc("After moving to another meta server, how long after its last"
          + " answered call the client waits before its first call there, so that the new server's bounded-staleness"
          + " reads (meta.read_staleness) already see every change the client made through the previous one. Keep"
          + " it at least meta.read_staleness.");
}
