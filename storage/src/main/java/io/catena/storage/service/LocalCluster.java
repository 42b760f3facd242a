package io.catena.storage.service;

import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChainTarget;
import io.catena.common.cluster.ChunkId;
import io.catena.common.cluster.LocalTargetState;
import io.catena.common.cluster.ManualRoutingSource;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.NodeStatus;
import io.catena.common.cluster.NodeType;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.cluster.TargetInfo;
import io.catena.common.config.Config;
import io.catena.common.net.Address;
import io.catena.storage.ChunkMeta;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Several storage nodes in one JVM on 127.0.0.1, each with its own RPC server and disk directory, and a routing
 * source driven by hand (the role mgmtd plays in production): for tests and benchmarks. Thread-safe (synchronized).
 */
public final class LocalCluster implements AutoCloseable {
  public static final long FIRST_NODE_ID = 10001;

  private final Path root;
  private final Config config;
  private final Clock clock;
  private final io.micrometer.core.instrument.MeterRegistry registry;
  private final StorageServer[] servers;
  private final Address[] addresses;
  private final Map<Long, NodeInfo> nodes = new LinkedHashMap<>();
  private final Map<Long, TargetInfo> targets = new LinkedHashMap<>();
  private final Map<Long, ChainInfo> chains = new LinkedHashMap<>();
  private final ManualRoutingSource routing;
  private long version = 1;

  public LocalCluster(Path root, int nodeCount, Config config) {
    this(root, nodeCount, config, Clock.systemUTC());
  }

  /** As above, with every node measuring its deadlines on {@code clock} (a manual one in timeout tests). */
  public LocalCluster(Path root, int nodeCount, Config config, Clock clock) {
    this(root, nodeCount, config, clock, io.catena.common.metrics.Meters.discarding());
  }

  /** As above, every node counting its work in {@code registry} (benchmarks measure with metrics on). */
  public LocalCluster(Path root, int nodeCount, Config config, Clock clock,
      io.micrometer.core.instrument.MeterRegistry registry) {
    this.registry = registry;
    this.root = root;
    this.config = config;
    this.clock = clock;
    this.servers = new StorageServer[nodeCount];
    this.addresses = new Address[nodeCount];
    this.routing = new ManualRoutingSource(new RoutingInfo(version, "local", List.of(), List.of(), List.of(),
        List.of()));
    for (int i = 0; i < nodeCount; i++) {
      start(i);
    }
  }

  public ManualRoutingSource routing() {
    return routing;
  }

  public StorageServer server(int i) {
    return servers[i];
  }

  public int size() {
    return servers.length;
  }

  public static long nodeId(int i) {
    return FIRST_NODE_ID + i;
  }

  /** Target ids are {@code chainId * 100 + node index}. */
  public static long targetId(long chainId, int node) {
    return chainId * 100 + node;
  }

  public static int nodeOf(long targetId) {
    return (int) (targetId % 100);
  }

  /** Starts (or restarts, on the same disk) node {@code i} on a fresh port and publishes its address. */
  public synchronized void start(int i) {
    if (servers[i] != null) {
      throw new IllegalStateException("node " + i + " is running");
    }
    servers[i] = new StorageServer(config, Address.tcp("127.0.0.1", 0), List.of(root.resolve("node-" + i)),
        routing, clock, io.catena.rpc.Authenticator.ACCEPT_ALL, registry);
    addresses[i] = servers[i].address();
    nodes.put(nodeId(i), new NodeInfo(nodeId(i), NodeType.STORAGE, addresses[i].toString(), NodeStatus.ALIVE,
        System.nanoTime(), 0, 0, ""));
    publish();
  }

  /** Stops node {@code i} (its data stays on disk). */
  public synchronized void stop(int i) {
    StorageServer s = servers[i];
    servers[i] = null;
    if (s != null) {
      s.close();
    }
  }

  /** Creates a chain with one new target on each of {@code nodeIdx} (in chain order), all serving. */
  public synchronized ChainInfo createChain(long chainId, int... nodeIdx) {
    List<Long> ids = new ArrayList<>();
    for (int n : nodeIdx) {
      long t = targetId(chainId, n);
      servers[n].service().createTarget(t, chainId, 0);
      targets.put(t, new TargetInfo(t, nodeId(n), 0, chainId, PublicTargetState.SERVING, LocalTargetState.UPTODATE,
          0, 0));
      ids.add(t);
    }
    ChainInfo c = ChainInfo.allServing(chainId, ids);
    chains.put(chainId, c);
    publish();
    return c;
  }

  /** Publishes a new version of a chain with these members and states (in order). */
  public synchronized ChainInfo setChain(long chainId, List<ChainTarget> members) {
    ChainInfo c = new ChainInfo(chainId, chains.get(chainId).version() + 1, members);
    chains.put(chainId, c);
    publish();
    return c;
  }

  public synchronized ChainInfo chain(long chainId) {
    return chains.get(chainId);
  }

  private void publish() {
    version++;
    routing.publish(new RoutingInfo(version, "local", nodes.values(), targets.values(), chains.values(), List.of()));
  }

  /** Committed content of every chunk of a target: chunk -> "v<version>:<length>:<crc>" plus the bytes. */
  public synchronized Map<ChunkId, String> fingerprint(long targetId) {
    Target t = servers[nodeOf(targetId)].targets().get(targetId).orElseThrow();
    Map<ChunkId, String> out = new TreeMap<>();
    for (ChunkMeta m : t.store().list(new ChunkId(0, 0), new ChunkId(-1L, -1L), Integer.MAX_VALUE)) {
      if (!m.hasCommitted()) {
        continue;
      }
      ByteBuffer b = t.store().read(m.chunkId(), 0, m.length()).data();
      java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
      crc.update(b);
      out.put(m.chunkId(), "v" + m.committedVersion() + ":" + m.length() + ":" + Integer.toHexString(m.crc32c())
          + ":" + Integer.toHexString((int) crc.getValue()));
    }
    return out;
  }

  @Override
  public synchronized void close() {
    for (int i = 0; i < servers.length; i++) {
      stop(i);
    }
  }
}
