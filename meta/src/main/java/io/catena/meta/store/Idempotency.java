package io.catena.meta.store;

import io.catena.meta.RequestId;
import java.util.Optional;
import java.util.function.Function;

/**
 * Idempotency records (IDEM + client + request id): a mutation's answer stored in the mutation's own transaction,
 * so a retry after a lost reply or an unknown commit returns the first answer instead of EEXIST/ENOENT. Records
 * expire after a TTL (the pruner deletes them; an expired record is ignored). Only successes are stored: a failed
 * mutation commits nothing, so its retry fails again the same way. Thread-safe: immutable.
 */
public final class Idempotency {
  private final long ttlNanos;

  public Idempotency(long ttlNanos) {
    this.ttlNanos = ttlNanos;
  }

  /** The stored answer of {@code req}, if one exists and has not expired (wrapped: an answer may be null). */
  public Optional<Object> prior(Tx tx, RequestId req, long now) {
    Optional<byte[]> v = tx.get(MetaKeys.idem(req.clientId(), req.seq()), false);
    if (v.isEmpty() || Codec.answerExpiry(v.get()) <= now) {
      return Optional.empty();
    }
    return Optional.of(Optional.ofNullable(Codec.decodeAnswer(v.get())).orElse(NONE));
  }

  private static final Object NONE = new Object();

  public <T> T run(Tx tx, RequestId req, long now, Class<T> type, Function<Tx, T> body) {
    if (req == null) {
      return body.apply(tx);
    }
    byte[] key = MetaKeys.idem(req.clientId(), req.seq());
    Optional<byte[]> prior = tx.get(key, true);
    if (prior.isPresent() && Codec.answerExpiry(prior.get()) > now) {
      return type.cast(Codec.decodeAnswer(prior.get()));
    }
    T answer = body.apply(tx);
    tx.set(key, Codec.encodeAnswer(answer, now + ttlNanos));
    return answer;
  }
}
