package io.catena.mgmtd;

import java.util.Objects;

/**
 * An operator's change to one chain's membership: add a target (it joins as WAITING and syncs from the tail of the
 * serving members) or remove one. See {@link MgmtdService#updateChain} for the rules. Immutable.
 */
public record ChainUpdate(long chainId, Op op, long targetId) {

  /** What to do with the target; the wire carries {@link #code()}. */
  public enum Op implements io.catena.common.StableCode {
    ADD(1),
    REMOVE(2);

    private final int code;

    Op(int code) {
      this.code = code;
    }

    @Override
    public int code() {
      return code;
    }

    public static Op fromCode(int code) {
      return io.catena.common.StableCode.fromCode(Op.class, code);
    }
  }

  public ChainUpdate {
    Objects.requireNonNull(op, "op");
    if (chainId <= 0 || targetId <= 0) {
      throw new IllegalArgumentException("chain id and target id must be positive: chain " + chainId + ", target "
          + targetId);
    }
  }

  public static ChainUpdate add(long chainId, long targetId) {
    return new ChainUpdate(chainId, Op.ADD, targetId);
  }

  public static ChainUpdate remove(long chainId, long targetId) {
    return new ChainUpdate(chainId, Op.REMOVE, targetId);
  }
}
