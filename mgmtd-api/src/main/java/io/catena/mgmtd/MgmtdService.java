package io.catena.mgmtd;

import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChainTable;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.NodeType;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.cluster.TargetInfo;
import io.catena.common.cluster.UserAccount;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The cluster manager's operations, one method per RPC. Every request names the cluster it is meant for and is
 * refused (EINVAL) if that is not this cluster. Only the primary answers; every other instance throws a retryable
 * {@link io.catena.common.CatenaException} with {@link io.catena.common.Status#notPrimary} naming the primary (or
 * a retryable EAGAIN without redirect while no primary is known), and callers follow it. Errors are thrown as
 * CatenaException with precise errnos; a refused request changes nothing. Implementations are thread-safe.
 */
public interface MgmtdService {

  // --- membership --------------------------------------------------------------------------------------------

  /**
   * Registers a node or re-registers it after a restart (new incarnation). A node id already held by a node of
   * another type, or by a live node at another address, is refused with EEXIST.
   */
  NodeInfo registerNode(RegisterRequest request);

  /**
   * Records a node's liveness and its targets' local states. Refused: unknown node (ENOENT), an incarnation other
   * than the registered one (ESTALE: register again), a heartbeat version not above the last one (ESTALE), a
   * target that is not the node's or a chain version from the future (EINVAL).
   */
  HeartbeatReply heartbeat(HeartbeatRequest request);

  // --- routing -----------------------------------------------------------------------------------------------

  /** The full snapshot if its version differs from {@code sinceVersion}, else empty (nothing changed). */
  Optional<RoutingInfo> getRoutingInfo(String clusterId, long sinceVersion);

  // --- config distribution -----------------------------------------------------------------------------------

  /**
   * Stores a new config version for a node type after validating it (TOML syntax; keys and values too when the
   * type's schema is known). Storing the text of the latest version again returns that version unchanged.
   */
  VersionedConfig setConfig(String clusterId, NodeType type, String toml);

  /** One version ({@code version > 0}) or the latest ({@code version == 0}); empty if there is none. */
  Optional<VersionedConfig> getConfig(String clusterId, NodeType type, long version);

  // --- client sessions ---------------------------------------------------------------------------------------

  /** Creates or extends a client session; it expires {@code mgmtd.client_session_timeout} after this call. */
  ClientSession extendSession(SessionRequest request);

  /** Ends a session at once (clean unmount). Ending an unknown session is not an error. */
  void closeSession(String clusterId, String clientId);

  /** The sessions that have not expired: meta prunes write sessions of clients not listed here. */
  List<ClientSession> listSessions(String clusterId);

  // --- administration ----------------------------------------------------------------------------------------

  /** Creates targets on registered storage nodes. Re-creating an identical target is a no-op. */
  List<TargetInfo> createTargets(String clusterId, List<TargetSpec> targets);

  /**
   * Creates chains (all members serving, version 1). Refused: unknown target (ENOENT), a target listed twice or two
   * targets on one node (EINVAL), a target already in another chain or a chain id already used differently
   * (EEXIST). Re-uploading an identical chain is a no-op.
   */
  List<ChainInfo> uploadChains(String clusterId, List<ChainSpec> chains);

  /**
   * Stores a new version of a chain table. Refused: unknown chain (ENOENT), a chain listed twice or no chains
   * (EINVAL). Uploading the same chain list as the latest version returns that version.
   */
  ChainTable uploadChainTable(String clusterId, int tableId, List<Long> chainIds);

  /** Marks a target offline now (e.g. a failing disk); it must report itself offline before it may sync again. */
  ChainInfo offlineTarget(String clusterId, long targetId);

  /**
   * Gives up on a chain's dead lastsrv member: it goes offline and {@code promote} (default: the first waiting,
   * else the most recently failed member) becomes lastsrv. Writes the promoted member missed are lost.
   */
  ChainInfo rotateLastSrv(String clusterId, long chainId, OptionalLong promote);

  /**
   * Adds a target to a chain or removes one (an operator's membership change); returns the chain as it is now.
   * An added target joins as WAITING after the serving, syncing and waiting members and syncs from the tail of the
   * serving ones when its node reports it ONLINE; adding a member again is a no-op. A removed target stays in the
   * cluster in no chain (remove it with {@link #removeTarget}). Refused: unknown chain or target (ENOENT); adding a
   * target of another chain (EEXIST) or on a node that already holds a member (EINVAL); removing a non-member
   * (ENOENT), the only member, the last serving member or the lastsrv member (EBUSY).
   */
  ChainInfo updateChain(String clusterId, ChainUpdate update);

  /**
   * Deletes a target from the cluster. Allowed for a target in no chain, and for an OFFLINE member, which leaves its
   * chain (next version) in the same step; the chain is returned then. Refused: unknown target (ENOENT); a member
   * in any other state, or the only member of its chain (EBUSY: take it offline or use updateChain first). The
   * storage node keeps the target's data until it is removed there; its reports of the target are then ignored.
   */
  Optional<ChainInfo> removeTarget(String clusterId, long targetId);

  // --- users ---------------------------------------------------------------------------------------------------

  /**
   * Adds a user and returns its new token (shown once; mgmtd keeps only a hash). Refused: a uid or name already
   * used (EEXIST), a malformed name (EINVAL).
   */
  String addUser(String clusterId, UserAccount user);

  /** Replaces a user's token and returns the new one; the old one stops working at once. ENOENT if unknown. */
  String setUserToken(String clusterId, long uid);

  /** Removes a user and its token; ENOENT if unknown. */
  void removeUser(String clusterId, long uid);

  List<UserAccount> listUsers(String clusterId);

  /** The user a token belongs to; EKEYREJECTED for a token nobody holds. */
  UserAccount authenticate(String clusterId, String token);

  List<NodeInfo> listNodes(String clusterId);

  List<TargetInfo> listTargets(String clusterId);

  List<ChainInfo> listChains(String clusterId);

  List<ChainTable> listChainTables(String clusterId);
}
