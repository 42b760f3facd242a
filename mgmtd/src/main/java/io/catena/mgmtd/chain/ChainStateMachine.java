package io.catena.mgmtd.chain;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChainTarget;
import io.catena.common.cluster.LocalTargetState;
import io.catena.common.cluster.PublicTargetState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The rules that turn the local states storage nodes report into the public states of a chain, after 3FS's
 * transition table (docs/design_notes.md, "Failure detection"). A pure function: one call is one scan of one chain
 * and makes at most one step per member. Stateless; thread-safe.
 *
 * <pre>
 * current \ local | UPTODATE            | ONLINE                                   | OFFLINE                         | no report
 * ----------------+---------------------+------------------------------------------+---------------------------------+-----------
 * SERVING         | SERVING             | SERVING                                  | OFFLINE; LASTSRV if no member   | SERVING
 *                 |                     |                                          | serves after this scan and it   |
 *                 |                     |                                          | is the first such (chain order) |
 * SYNCING         | SERVING (sync done) | SYNCING if its predecessor serves,       | OFFLINE                         | as ONLINE
 *                 |                     | else WAITING                             |                                 |
 * WAITING         | WAITING             | SYNCING if its predecessor serves and    | OFFLINE                         | WAITING
 *                 |                     | no member syncs, else WAITING            |                                 |
 * LASTSRV         | SERVING *           | SERVING *                                | LASTSRV                         | LASTSRV
 * OFFLINE         | WAITING             | WAITING                                  | OFFLINE                         | OFFLINE
 *
 * * only while no other member serves (always true unless an operator edited the chain); otherwise WAITING.
 * </pre>
 *
 * <p>Order after a scan: serving members (old order), the syncing one, waiting ones, the lastsrv one, members that
 * were already offline, then members that went offline in this scan. So failed members move to the tail, the most
 * recently failed last; the syncing member's predecessor is the tail of the serving part, which is why at most one
 * member can sync. Any change of a state or of the order bumps the version by one; no change keeps the very same
 * chain.
 *
 * <p>Why these rules keep data safe: a write commits only after every serving and syncing member stored it, so a
 * member that was not serving or syncing when a write committed has missed it, and the only ways into SERVING are
 * staying there, finishing a sync (UPTODATE reported at the current chain version, see {@link #effectiveLocal}),
 * or being the lastsrv member, which by construction held every write committed before the chain stopped.
 */
public final class ChainStateMachine {
  private ChainStateMachine() {}

  /**
   * The next state of {@code chain} given the latest local states; targets without an entry have not been heard
   * from (e.g. just after a primary change) and keep their state unless their predecessor forces them back.
   */
  public static ChainInfo next(ChainInfo chain, Map<Long, LocalTargetState> reported) {
    List<ChainTarget> old = chain.targets();
    int n = old.size();
    PublicTargetState[] next = new PublicTargetState[n];
    boolean lastSrvBefore = false;
    for (int i = 0; i < n; i++) {
      PublicTargetState s = old.get(i).state();
      LocalTargetState l = reported.get(old.get(i).targetId());
      next[i] = stepAlone(s, l);
      lastSrvBefore |= s == PublicTargetState.LASTSRV;
    }
    // A returning lastsrv member may serve only if it is the only possible source of the data.
    boolean othersServe = false;
    for (int i = 0; i < n; i++) {
      othersServe |= next[i] == PublicTargetState.SERVING && old.get(i).state() != PublicTargetState.LASTSRV;
    }
    boolean anyServes = false;
    for (int i = 0; i < n; i++) {
      if (old.get(i).state() == PublicTargetState.LASTSRV && next[i] == PublicTargetState.SERVING && othersServe) {
        next[i] = PublicTargetState.WAITING;
      }
      anyServes |= next[i] == PublicTargetState.SERVING;
    }
    // The last serving member to fail keeps the chain's data: the chain waits for it.
    if (!anyServes && !lastSrvBefore) {
      for (int i = 0; i < n; i++) {
        if (old.get(i).state() == PublicTargetState.SERVING && next[i] == PublicTargetState.OFFLINE) {
          next[i] = PublicTargetState.LASTSRV;
          break;
        }
      }
    }
    List<ChainTarget> ordered = order(old, next);
    List<ChainTarget> result = applyPredecessorRules(ordered, old, reported);
    if (result.equals(old)) {
      return chain;
    }
    return new ChainInfo(chain.chainId(), chain.version() + 1, result);
  }

  /**
   * The local state to feed {@link #next}: an UPTODATE report made at an older chain version than the current one
   * counts as ONLINE, because it may predate the member's last failure (a delayed heartbeat must never turn a
   * syncing member into a serving one). Downgrading is always safe: no rule moves towards SERVING on ONLINE alone
   * except for a lastsrv member, which serves on either.
   */
  public static LocalTargetState effectiveLocal(LocalTargetState reported, long reportedChainVersion,
      long currentChainVersion) {
    if (reported == LocalTargetState.UPTODATE && reportedChainVersion < currentChainVersion) {
      return LocalTargetState.ONLINE;
    }
    return reported;
  }

  /**
   * The operator's way out when the lastsrv member is gone for good: it goes offline and {@code promote} (default:
   * the first waiting member, else the most recently failed offline one) becomes lastsrv, so the chain serves again
   * from it once it is up. Writes the promoted member missed are lost; that is the operator's decision.
   *
   * @throws CatenaException EINVAL if the chain has no lastsrv member or no member can be promoted
   */
  public static ChainInfo rotateLastSrv(ChainInfo chain, OptionalLong promote) {
    List<ChainTarget> old = chain.targets();
    int lastSrv = -1;
    for (int i = 0; i < old.size(); i++) {
      if (old.get(i).state() == PublicTargetState.LASTSRV) {
        lastSrv = i;
      }
    }
    if (lastSrv < 0) {
      throw CatenaException.of(Errno.EINVAL, "chain %d has no lastsrv target: %s", chain.chainId(), chain);
    }
    int chosen = promote.isPresent() ? indexOf(old, promote.getAsLong()) : defaultPromotion(old);
    if (chosen < 0) {
      throw CatenaException.of(Errno.EINVAL, promote.isPresent()
          ? "chain %d: target " + promote.getAsLong() + " is not a member" : "chain %d has no other member to promote",
          chain.chainId());
    }
    PublicTargetState cs = old.get(chosen).state();
    if (cs != PublicTargetState.WAITING && cs != PublicTargetState.OFFLINE) {
      throw CatenaException.of(Errno.EINVAL, "chain %d: target %d is %s; only a waiting or offline member can become"
          + " lastsrv", chain.chainId(), old.get(chosen).targetId(), cs);
    }
    List<ChainTarget> result = new ArrayList<>();
    result.add(new ChainTarget(old.get(chosen).targetId(), PublicTargetState.LASTSRV));
    for (int i = 0; i < old.size(); i++) {
      if (i != chosen && i != lastSrv) {
        result.add(old.get(i));
      }
    }
    result.add(new ChainTarget(old.get(lastSrv).targetId(), PublicTargetState.OFFLINE));
    PublicTargetState[] states = new PublicTargetState[result.size()];
    for (int i = 0; i < states.length; i++) {
      states[i] = result.get(i).state();
    }
    return new ChainInfo(chain.chainId(), chain.version() + 1, order(result, states));
  }

  /** Phase one: the steps that depend on the member's own state and report only. */
  private static PublicTargetState stepAlone(PublicTargetState s, LocalTargetState l) {
    if (l == null) {
      return s;
    }
    return switch (s) {
      case SERVING -> l == LocalTargetState.OFFLINE ? PublicTargetState.OFFLINE : PublicTargetState.SERVING;
      case SYNCING -> switch (l) {
        case UPTODATE -> PublicTargetState.SERVING;
        case ONLINE -> PublicTargetState.SYNCING;
        case OFFLINE -> PublicTargetState.OFFLINE;
      };
      case WAITING -> l == LocalTargetState.OFFLINE ? PublicTargetState.OFFLINE : PublicTargetState.WAITING;
      case LASTSRV -> l == LocalTargetState.OFFLINE ? PublicTargetState.LASTSRV : PublicTargetState.SERVING;
      case OFFLINE -> l == LocalTargetState.OFFLINE ? PublicTargetState.OFFLINE : PublicTargetState.WAITING;
    };
  }

  /** Phase two, on the new order: syncing needs a serving predecessor; the first eligible waiting member syncs. */
  private static List<ChainTarget> applyPredecessorRules(List<ChainTarget> ordered, List<ChainTarget> old,
      Map<Long, LocalTargetState> reported) {
    List<ChainTarget> out = new ArrayList<>(ordered.size());
    PublicTargetState prev = null;
    boolean syncing = false;
    for (ChainTarget t : ordered) {
      PublicTargetState s = t.state();
      if (s == PublicTargetState.SYNCING) {
        if (prev == PublicTargetState.SERVING && !syncing) {
          syncing = true;
        } else {
          s = PublicTargetState.WAITING;
        }
      } else if (s == PublicTargetState.WAITING && prev == PublicTargetState.SERVING && !syncing
          && reported.get(t.targetId()) == LocalTargetState.ONLINE
          && oldState(old, t.targetId()) == PublicTargetState.WAITING) {
        s = PublicTargetState.SYNCING;
        syncing = true;
      }
      out.add(s == t.state() ? t : new ChainTarget(t.targetId(), s));
      prev = s;
    }
    return out;
  }

  /** Stable grouping by new state; members that went offline in this scan go after the ones already offline. */
  private static List<ChainTarget> order(List<ChainTarget> old, PublicTargetState[] next) {
    List<ChainTarget> out = new ArrayList<>(old.size());
    for (int rank = 0; rank <= 5; rank++) {
      for (int i = 0; i < old.size(); i++) {
        if (rank(old.get(i).state(), next[i]) == rank) {
          out.add(old.get(i).state() == next[i] ? old.get(i) : new ChainTarget(old.get(i).targetId(), next[i]));
        }
      }
    }
    return out;
  }

  private static int rank(PublicTargetState before, PublicTargetState after) {
    return switch (after) {
      case SERVING -> 0;
      case SYNCING -> 1;
      case WAITING -> 2;
      case LASTSRV -> 3;
      case OFFLINE -> before == PublicTargetState.OFFLINE ? 4 : 5;
    };
  }

  private static PublicTargetState oldState(List<ChainTarget> old, long targetId) {
    for (ChainTarget t : old) {
      if (t.targetId() == targetId) {
        return t.state();
      }
    }
    throw new IllegalStateException("target " + targetId + " vanished from its chain");
  }

  private static int indexOf(List<ChainTarget> ts, long targetId) {
    for (int i = 0; i < ts.size(); i++) {
      if (ts.get(i).targetId() == targetId) {
        return i;
      }
    }
    return -1;
  }

  private static int defaultPromotion(List<ChainTarget> ts) {
    for (int i = 0; i < ts.size(); i++) {
      if (ts.get(i).state() == PublicTargetState.WAITING) {
        return i;
      }
    }
    for (int i = ts.size() - 1; i >= 0; i--) {
      if (ts.get(i).state() == PublicTargetState.OFFLINE) {
        return i;
      }
    }
    return -1;
  }
}
