package io.catena.kv;

import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Fault injection in the commit path of an engine, off by default. With probability {@code conflictProbability} a
 * commit that would have succeeded fails with the same retryable conflict a real one raises (nothing applied); with
 * probability {@code unknownProbability} it ends in {@link CommitUnknownException}, after applying the writes or
 * not (each half the time), so idempotency handling above the KV layer can be tested. Draws come from an injected
 * generator so a seed reproduces a run. Thread-safe: draws are serialised on this object.
 */
public final class KvFaults {
  private static final KvFaults NONE = new KvFaults(0, 0, RandomGenerator.of("L64X128MixRandom"));

  /** What the commit path should do with one commit. */
  public enum Decision { PROCEED, CONFLICT, UNKNOWN_APPLIED, UNKNOWN_NOT_APPLIED }

  private final double conflictProbability;
  private final double unknownProbability;
  private final RandomGenerator random;

  private KvFaults(double conflictProbability, double unknownProbability, RandomGenerator random) {
    checkProbability(conflictProbability);
    checkProbability(unknownProbability);
    if (conflictProbability + unknownProbability > 1.0) {
      throw new IllegalArgumentException("probabilities add up to more than 1");
    }
    this.conflictProbability = conflictProbability;
    this.unknownProbability = unknownProbability;
    this.random = Objects.requireNonNull(random, "random");
  }

  public static KvFaults none() {
    return NONE;
  }

  /** Injects a retryable conflict into each commit with probability {@code p}. */
  public static KvFaults conflicts(double p, RandomGenerator random) {
    return new KvFaults(p, 0, random);
  }

  /** Conflicts with probability {@code conflictP}, unknown commit results with probability {@code unknownP}. */
  public static KvFaults of(double conflictP, double unknownP, RandomGenerator random) {
    return new KvFaults(conflictP, unknownP, random);
  }

  public boolean enabled() {
    return conflictProbability > 0 || unknownProbability > 0;
  }

  public double conflictProbability() {
    return conflictProbability;
  }

  public double unknownProbability() {
    return unknownProbability;
  }

  /** Draws the fate of one commit. Engines call it once per commit that has writes. */
  public Decision decide() {
    if (!enabled()) {
      return Decision.PROCEED;
    }
    synchronized (this) {
      double d = random.nextDouble();
      if (d < conflictProbability) {
        return Decision.CONFLICT;
      }
      if (d < conflictProbability + unknownProbability) {
        return random.nextBoolean() ? Decision.UNKNOWN_APPLIED : Decision.UNKNOWN_NOT_APPLIED;
      }
      return Decision.PROCEED;
    }
  }

  private static void checkProbability(double p) {
    if (!(p >= 0 && p <= 1)) {
      throw new IllegalArgumentException("probability must be in [0, 1]: " + p);
    }
  }

  @Override
  public String toString() {
    return enabled() ? "KvFaults{conflict=" + conflictProbability + ", unknown=" + unknownProbability + "}"
        : "KvFaults{none}";
  }
}
