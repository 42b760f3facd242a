package io.catena.mgmtd.chain;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChainTarget;
import io.catena.common.cluster.PublicTargetState;
import java.util.ArrayList;
import java.util.List;

/**
 * Operator changes to a chain's membership, as pure functions next to {@link ChainStateMachine}, whose order they
 * keep (serving, syncing, waiting, lastsrv, offline). Stateless; thread-safe.
 *
 * <p>Why these rules keep data safe: an added member joins as WAITING, so it takes no writes and serves no reads
 * until the state machine lets it sync from the tail of the serving members and it reports UPTODATE; a removal never
 * takes away the last member holding the chain's data (the last serving one, or the lastsrv one when nothing serves).
 */
public final class ChainMembership {
  private ChainMembership() {}

  /**
   * {@code chain} with {@code targetId} appended as WAITING after the serving, syncing and waiting members (before a
   * lastsrv or offline ones), at the next version; the very same chain if it is already a member.
   */
  public static ChainInfo add(ChainInfo chain, long targetId) {
    if (chain.stateOf(targetId).isPresent()) {
      return chain;
    }
    List<ChainTarget> out = new ArrayList<>(chain.targets().size() + 1);
    boolean placed = false;
    for (ChainTarget t : chain.targets()) {
      if (!placed && (t.state() == PublicTargetState.LASTSRV || t.state() == PublicTargetState.OFFLINE)) {
        out.add(new ChainTarget(targetId, PublicTargetState.WAITING));
        placed = true;
      }
      out.add(t);
    }
    if (!placed) {
      out.add(new ChainTarget(targetId, PublicTargetState.WAITING));
    }
    return new ChainInfo(chain.chainId(), chain.version() + 1, out);
  }

  /**
   * {@code chain} without {@code targetId}, at the next version.
   *
   * @throws CatenaException ENOENT if it is not a member; EBUSY if it is the only member, the last serving one, or
   *     the lastsrv one (the only copy of the chain's data) — the message says what to do instead
   */
  public static ChainInfo remove(ChainInfo chain, long targetId) {
    PublicTargetState s = chain.stateOf(targetId).orElseThrow(() -> CatenaException.of(Errno.ENOENT,
        "target %d is not a member of chain %d (members %s)", targetId, chain.chainId(), chain.targetIds()));
    if (chain.targets().size() == 1) {
      throw CatenaException.of(Errno.EBUSY, "target %d is the only member of chain %d; add a replacement first"
          + " (update-chain --add) and let it sync", targetId, chain.chainId());
    }
    if (s == PublicTargetState.SERVING && chain.targetsIn(PublicTargetState.SERVING).size() == 1) {
      throw CatenaException.of(Errno.EBUSY, "target %d is the last serving member of chain %d; removing it would"
          + " leave nothing serving: wait until another member has synced", targetId, chain.chainId());
    }
    if (s == PublicTargetState.LASTSRV) {
      throw CatenaException.of(Errno.EBUSY, "target %d is the lastsrv member of chain %d and holds the only copy of"
          + " its data; bring it back, or give it up with rotate-lastsrv first", targetId, chain.chainId());
    }
    List<ChainTarget> out = new ArrayList<>(chain.targets());
    out.removeIf(t -> t.targetId() == targetId);
    return new ChainInfo(chain.chainId(), chain.version() + 1, out);
  }
}
