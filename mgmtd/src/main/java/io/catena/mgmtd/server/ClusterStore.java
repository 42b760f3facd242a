package io.catena.mgmtd.server;

import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChainTable;
import io.catena.common.cluster.ChainTarget;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.NodeStatus;
import io.catena.common.cluster.NodeType;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.cluster.UserAccount;
import io.catena.kv.KeyValue;
import io.catena.kv.Keys;
import io.catena.kv.ReadTransaction;
import io.catena.kv.ReadWriteTransaction;
import io.catena.mgmtd.VersionedConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * mgmtd's records in the KV store and their key layout. Reads through a {@link ReadWriteTransaction} are
 * conflict-tracked, so a write transaction that decided on them aborts if they changed meanwhile; reads through a
 * read-only transaction are snapshot reads. Stateless; thread-safe.
 *
 * <pre>
 * CLUS                              cluster id (UTF-8)
 * LEAS                              primary lease
 * RVER                              routing version
 * NODE nodeId(BE64)                 node
 * TRGT targetId(BE64)               target
 * CHAN chainId(BE64)                chain (current version only; versions only grow)
 * CTBL tableId(BE32) version(BE64)  chain table version (never rewritten)
 * CONF typeCode(u8) version(BE64)   config text of one node type
 * SESS clientId(UTF-8)              client session
 * USER uid(BE64)                    user and the SHA-256 of its token
 * TOKN sha256(token)                uid: the token index
 * MSBY nodeId(BE64)                 a standby mgmtd's presence: its address and a beat counter it bumps
 * </pre>
 * Big-endian ids so range scans return records in id order and the latest version last.
 */
final class ClusterStore {
  private static final byte[] CLUS = Keys.kind("CLUS");
  private static final byte[] LEAS = Keys.kind("LEAS");
  private static final byte[] RVER = Keys.kind("RVER");
  private static final byte[] NODE = Keys.kind("NODE");
  private static final byte[] TRGT = Keys.kind("TRGT");
  private static final byte[] CHAN = Keys.kind("CHAN");
  private static final byte[] CTBL = Keys.kind("CTBL");
  private static final byte[] CONF = Keys.kind("CONF");
  private static final byte[] SESS = Keys.kind("SESS");
  private static final byte[] USER = Keys.kind("USER");
  private static final byte[] TOKN = Keys.kind("TOKN");
  private static final byte[] MSBY = Keys.kind("MSBY");

  // --- generic reads -----------------------------------------------------------------------------------------

  private static Optional<byte[]> get(ReadTransaction txn, byte[] key) {
    return txn instanceof ReadWriteTransaction rw ? rw.get(key) : txn.snapshotGet(key);
  }

  private static List<KeyValue> range(ReadTransaction txn, byte[] begin, byte[] end, int limit, boolean reverse) {
    return (txn instanceof ReadWriteTransaction rw ? rw.getRange(begin, end, limit, reverse)
        : txn.snapshotGetRange(begin, end, limit, reverse)).pairs();
  }

  private static List<KeyValue> prefix(ReadTransaction txn, byte[] prefix) {
    List<KeyValue> all = new ArrayList<>();
    byte[] begin = prefix;
    byte[] end = Keys.prefixEnd(prefix);
    while (true) {
      var r = txn instanceof ReadWriteTransaction rw ? rw.getRange(begin, end, 0, false)
          : txn.snapshotGetRange(begin, end, 0, false);
      all.addAll(r.pairs());
      if (!r.more() || r.pairs().isEmpty()) {
        return all;
      }
      begin = Keys.keyAfter(r.pairs().getLast().key());
    }
  }

  // --- cluster id, lease, routing version --------------------------------------------------------------------

  Optional<String> clusterId(ReadTransaction txn) {
    return get(txn, CLUS).map(v -> Codec.reader(v, "cluster id").str());
  }

  void setClusterId(ReadWriteTransaction txn, String id) {
    txn.set(CLUS, Codec.writer().str(id).build());
  }

  Optional<Lease> lease(ReadTransaction txn) {
    return get(txn, LEAS).map(v -> {
      Codec.Reader r = Codec.reader(v, "lease");
      return new Lease(r.i64(), r.str(), r.i64(), r.i64());
    });
  }

  void setLease(ReadWriteTransaction txn, Lease l) {
    txn.set(LEAS, Codec.writer().i64(l.holderId()).str(l.holderAddress()).i64(l.epoch()).i64(l.expiresAtMillis())
        .build());
  }

  long routingVersion(ReadTransaction txn) {
    return get(txn, RVER).map(v -> Codec.reader(v, "routing version").i64()).orElse(0L);
  }

  /** Every change to nodes, targets, chains or chain tables calls this once in the same transaction. */
  long bumpRoutingVersion(ReadWriteTransaction txn) {
    long v = routingVersion(txn) + 1;
    txn.set(RVER, Codec.writer().i64(v).build());
    return v;
  }

  // --- nodes -------------------------------------------------------------------------------------------------

  private static byte[] nodeKey(long id) {
    return Keys.builder().bytes(NODE).longBE(id).build();
  }

  Optional<NodeInfo> node(ReadTransaction txn, long id) {
    return get(txn, nodeKey(id)).map(ClusterStore::decodeNode);
  }

  List<NodeInfo> nodes(ReadTransaction txn) {
    return prefix(txn, NODE).stream().map(kv -> decodeNode(kv.value())).toList();
  }

  void putNode(ReadWriteTransaction txn, NodeInfo n) {
    txn.set(nodeKey(n.nodeId()), Codec.writer().i64(n.nodeId()).u8(n.type().code()).str(n.address())
        .u8(n.status().code()).i64(n.incarnation()).build());
  }

  private static NodeInfo decodeNode(byte[] v) {
    Codec.Reader r = Codec.reader(v, "node");
    return new NodeInfo(r.i64(), NodeType.fromCode(r.u8()), r.str(), NodeStatus.fromCode(r.u8()), r.i64(), 0, 0, "");
  }

  // --- standby mgmtd presence ---------------------------------------------------------------------------------

  /** A standby mgmtd's presence record: the primary watches {@code beat} change (by its own clock, never theirs). */
  record Standby(long nodeId, String address, long beat) {}

  void putStandby(ReadWriteTransaction txn, Standby s) {
    txn.set(Keys.builder().bytes(MSBY).longBE(s.nodeId()).build(),
        Codec.writer().i64(s.nodeId()).str(s.address()).i64(s.beat()).build());
  }

  List<Standby> standbys(ReadTransaction txn) {
    return prefix(txn, MSBY).stream().map(kv -> {
      Codec.Reader r = Codec.reader(kv.value(), "standby");
      return new Standby(r.i64(), r.str(), r.i64());
    }).toList();
  }

  // --- targets -----------------------------------------------------------------------------------------------

  private static byte[] targetKey(long id) {
    return Keys.builder().bytes(TRGT).longBE(id).build();
  }

  Optional<StoredTarget> target(ReadTransaction txn, long id) {
    return get(txn, targetKey(id)).map(ClusterStore::decodeTarget);
  }

  List<StoredTarget> targets(ReadTransaction txn) {
    return prefix(txn, TRGT).stream().map(kv -> decodeTarget(kv.value())).toList();
  }

  void putTarget(ReadWriteTransaction txn, StoredTarget t) {
    txn.set(targetKey(t.targetId()), Codec.writer().i64(t.targetId()).i64(t.nodeId()).i32(t.diskIndex())
        .i64(t.chainId()).build());
  }

  void clearTarget(ReadWriteTransaction txn, long id) {
    txn.clear(targetKey(id));
  }

  private static StoredTarget decodeTarget(byte[] v) {
    Codec.Reader r = Codec.reader(v, "target");
    return new StoredTarget(r.i64(), r.i64(), r.i32(), r.i64());
  }

  // --- chains ------------------------------------------------------------------------------------------------

  private static byte[] chainKey(long id) {
    return Keys.builder().bytes(CHAN).longBE(id).build();
  }

  Optional<ChainInfo> chain(ReadTransaction txn, long id) {
    return get(txn, chainKey(id)).map(ClusterStore::decodeChain);
  }

  List<ChainInfo> chains(ReadTransaction txn) {
    return prefix(txn, CHAN).stream().map(kv -> decodeChain(kv.value())).toList();
  }

  void putChain(ReadWriteTransaction txn, ChainInfo c) {
    Codec.Writer w = Codec.writer().i64(c.chainId()).i64(c.version()).i32(c.targets().size());
    for (ChainTarget t : c.targets()) {
      w.i64(t.targetId()).u8(t.state().code());
    }
    txn.set(chainKey(c.chainId()), w.build());
  }

  private static ChainInfo decodeChain(byte[] v) {
    Codec.Reader r = Codec.reader(v, "chain");
    long id = r.i64();
    long version = r.i64();
    int n = r.count(9);
    List<ChainTarget> ts = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      ts.add(new ChainTarget(r.i64(), PublicTargetState.fromCode(r.u8())));
    }
    return new ChainInfo(id, version, ts);
  }

  // --- chain tables ------------------------------------------------------------------------------------------

  private static byte[] tablePrefix(int tableId) {
    return Keys.builder().bytes(CTBL).intBE(tableId).build();
  }

  List<ChainTable> chainTables(ReadTransaction txn) {
    return prefix(txn, CTBL).stream().map(kv -> decodeTable(kv.value())).toList();
  }

  Optional<ChainTable> latestChainTable(ReadTransaction txn, int tableId) {
    byte[] p = tablePrefix(tableId);
    List<KeyValue> last = range(txn, p, Keys.prefixEnd(p), 1, true);
    return last.isEmpty() ? Optional.empty() : Optional.of(decodeTable(last.getFirst().value()));
  }

  void putChainTable(ReadWriteTransaction txn, ChainTable t) {
    Codec.Writer w = Codec.writer().i32(t.tableId()).i64(t.version()).i32(t.chainIds().size());
    t.chainIds().forEach(w::i64);
    txn.set(Keys.builder().bytes(tablePrefix(t.tableId())).longBE(t.version()).build(), w.build());
  }

  private static ChainTable decodeTable(byte[] v) {
    Codec.Reader r = Codec.reader(v, "chain table");
    int id = r.i32();
    long version = r.i64();
    int n = r.count(8);
    List<Long> chains = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      chains.add(r.i64());
    }
    return new ChainTable(id, version, chains);
  }

  // --- config texts ------------------------------------------------------------------------------------------

  private static byte[] configPrefix(NodeType type) {
    return Keys.builder().bytes(CONF).u8(type.code()).build();
  }

  Optional<VersionedConfig> config(ReadTransaction txn, NodeType type, long version) {
    return get(txn, Keys.builder().bytes(configPrefix(type)).longBE(version).build())
        .map(v -> new VersionedConfig(type, version, Codec.reader(v, "config").str()));
  }

  Optional<VersionedConfig> latestConfig(ReadTransaction txn, NodeType type) {
    byte[] p = configPrefix(type);
    List<KeyValue> last = range(txn, p, Keys.prefixEnd(p), 1, true);
    if (last.isEmpty()) {
      return Optional.empty();
    }
    byte[] key = last.getFirst().key();
    return Optional.of(new VersionedConfig(type, Keys.readLongBE(key, key.length - 8),
        Codec.reader(last.getFirst().value(), "config").str()));
  }

  void putConfig(ReadWriteTransaction txn, VersionedConfig c) {
    txn.set(Keys.builder().bytes(configPrefix(c.type())).longBE(c.version()).build(),
        Codec.writer().str(c.toml()).build());
  }

  // --- client sessions ---------------------------------------------------------------------------------------

  private static byte[] sessionKey(String clientId) {
    return Keys.builder().bytes(SESS).utf8(clientId).build();
  }

  Optional<StoredSession> session(ReadTransaction txn, String clientId) {
    return get(txn, sessionKey(clientId)).map(ClusterStore::decodeSession);
  }

  List<StoredSession> sessions(ReadTransaction txn) {
    return prefix(txn, SESS).stream().map(kv -> decodeSession(kv.value())).toList();
  }

  void putSession(ReadWriteTransaction txn, StoredSession s) {
    txn.set(sessionKey(s.clientId()), Codec.writer().str(s.clientId()).u8(s.type().code()).str(s.host())
        .str(s.description()).i64(s.startMillis()).i64(s.lastExtendMillis()).build());
  }

  void clearSession(ReadWriteTransaction txn, String clientId) {
    txn.clear(sessionKey(clientId));
  }

  private static StoredSession decodeSession(byte[] v) {
    Codec.Reader r = Codec.reader(v, "session");
    return new StoredSession(r.str(), NodeType.fromCode(r.u8()), r.str(), r.str(), r.i64(), r.i64());
  }

  // --- users -------------------------------------------------------------------------------------------------

  /** A user as stored: its attributes and the hash of its current token. Immutable. */
  record StoredUser(UserAccount user, byte[] tokenHash) {}

  private static byte[] userKey(long uid) {
    return Keys.builder().bytes(USER).longBE(uid).build();
  }

  private static byte[] tokenKey(byte[] tokenHash) {
    return Keys.builder().bytes(TOKN).bytes(tokenHash).build();
  }

  Optional<StoredUser> user(ReadTransaction txn, long uid) {
    return get(txn, userKey(uid)).map(ClusterStore::decodeUser);
  }

  List<StoredUser> users(ReadTransaction txn) {
    return prefix(txn, USER).stream().map(kv -> decodeUser(kv.value())).toList();
  }

  Optional<Long> uidOfToken(ReadTransaction txn, byte[] tokenHash) {
    return get(txn, tokenKey(tokenHash)).map(v -> Codec.reader(v, "token").i64());
  }

  void putUser(ReadWriteTransaction txn, StoredUser u) {
    UserAccount i = u.user();
    Codec.Writer w = Codec.writer().i64(i.uid()).str(i.name()).i64(i.gid()).u8(i.admin() ? 1 : 0)
        .i32(i.groups().size());
    i.groups().forEach(w::i64);
    w.i32(u.tokenHash().length);
    for (byte b : u.tokenHash()) {
      w.u8(b & 0xff);
    }
    txn.set(userKey(i.uid()), w.build());
    txn.set(tokenKey(u.tokenHash()), Codec.writer().i64(i.uid()).build());
  }

  void clearUser(ReadWriteTransaction txn, StoredUser u) {
    txn.clear(userKey(u.user().uid()));
    txn.clear(tokenKey(u.tokenHash()));
  }

  private static StoredUser decodeUser(byte[] v) {
    Codec.Reader r = Codec.reader(v, "user");
    long uid = r.i64();
    String name = r.str();
    long gid = r.i64();
    boolean admin = r.u8() == 1;
    int n = r.count(8);
    List<Long> groups = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      groups.add(r.i64());
    }
    byte[] hash = new byte[r.count(1)];
    for (int i = 0; i < hash.length; i++) {
      hash[i] = (byte) r.u8();
    }
    return new StoredUser(new UserAccount(uid, name, gid, groups, admin), hash);
  }
}
