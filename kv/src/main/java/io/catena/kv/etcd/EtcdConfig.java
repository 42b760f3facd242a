package io.catena.kv.etcd;

import io.catena.common.config.DataSize;
import io.catena.common.config.Key;
import java.time.Duration;

/**
 * The {@code kv.etcd.*} configuration keys of the {@code etcd://} engine, one definition each. A process that wants
 * them settable from its config file adds this holder to its schema; without it the engine uses the defaults (see
 * {@link io.catena.kv.KvConfig#get}). Immutable constants.
 */
public final class EtcdConfig {
  private EtcdConfig() {}

  public static final Key<String> USER = Key.string("kv.etcd.user").defaultValue("")
      .doc("etcd user name when the etcd cluster has authentication enabled; empty: connect without"
          + " authentication. The user needs read-write permission on the URL's prefix.");

  public static final Key<String> PASSWORD = Key.string("kv.etcd.password").defaultValue("").secret()
      .doc("Password of kv.etcd.user.");

  public static final Key<Duration> REQUEST_TIMEOUT = Key.duration("kv.etcd.request_timeout").defaultValue("5s")
      .range("50ms", "5m")
      .doc("Deadline of each etcd request. A commit that gets no answer within it ends in 'commit result unknown'"
          + " (it may have been applied); a read ends in a retryable timeout.");

  public static final Key<Duration> OPEN_TIMEOUT = Key.duration("kv.etcd.open_timeout").defaultValue("60s")
      .min("0s").doc("How long opening the engine keeps trying while etcd does not answer yet (a member starting, an"
          + " election, an overloaded disk) before the process gives up; 0: one try.");
  public static final Key<Duration> CONNECT_TIMEOUT = Key.duration("kv.etcd.connect_timeout").defaultValue("3s")
      .range("50ms", "5m")
      .doc("TCP connect timeout to one etcd endpoint; also how long opening the engine waits for a first answer.");

  public static final Key<Integer> MAX_TXN_OPS = Key.integer("kv.etcd.max_txn_ops").defaultValue("128")
      .range("1", "1000000")
      .doc("The etcd cluster's --max-txn-ops (etcd's default 128). A commit needing more compares or writes than"
          + " this fails with a clear error before it is sent; it is never split into several etcd transactions.");

  public static final Key<DataSize> MAX_REQUEST_BYTES = Key.dataSize("kv.etcd.max_request_bytes")
      .defaultValue("1536KiB").range("1KiB", "1GiB")
      .doc("The etcd cluster's --max-request-bytes (etcd's default 1.5 MiB). A commit larger than this fails with"
          + " a clear error before it is sent.");

  public static final Key<Boolean> MIRROR = Key.bool("kv.etcd.mirror").defaultValue("true")
      .doc("Keep an in-memory, multi-version copy of the prefix, fed by an etcd watch, and serve transaction reads"
          + " from it (one shared linearizable revision read per batch of beginning transactions instead of a round"
          + " trip per read). Costs about 150 bytes plus key and value per key of the prefix, in every process"
          + " that opens the engine; turn it off for short-lived tools or a prefix larger than the heap can hold."
          + " See docs/etcd-mirror.md.");

  public static final Key<Duration> MIRROR_WAIT = Key.duration("kv.etcd.mirror_wait").defaultValue("200ms")
      .range("0s", "1m")
      .doc("How long a beginning transaction waits for the mirror to apply the cluster's current revision before"
          + " it reads from etcd instead. After such a timeout, transactions read from etcd without waiting until"
          + " the mirror has caught up with that revision.");

  public static final Key<Duration> MIRROR_RETRY = Key.duration("kv.etcd.mirror_retry").defaultValue("1s")
      .range("10ms", "5m")
      .doc("Delay before the mirror lists the prefix again after its watch broke (etcd unreachable, a member"
          + " restarted, the watched revision compacted); reads go to etcd meanwhile.");
}
