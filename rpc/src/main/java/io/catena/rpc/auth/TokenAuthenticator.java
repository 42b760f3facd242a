package io.catena.rpc.auth;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Status;
import io.catena.common.cluster.UserAccount;
import io.catena.rpc.Authenticator;
import io.catena.rpc.BuiltinService;
import io.catena.rpc.MethodDescriptor;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Checks each request's token against the cluster's users (kept by mgmtd) and the access its method needs. Answers
 * are cached per token for {@code ttl}, so the data path pays a map lookup, a revoked token stops working within
 * {@code ttl}, and a server keeps its last good answer while mgmtd cannot be reached. The built-in service (ping,
 * server info) is open to anyone, so probes need no credentials. Thread-safe.
 */
public final class TokenAuthenticator implements Authenticator {
  /** What a method requires of its caller. */
  public enum Access { ANYONE, USER, ADMIN }

  /** Finds the user a token belongs to; fails with EKEYREJECTED for a token nobody holds. */
  @FunctionalInterface
  public interface TokenLookup {
    CompletableFuture<UserAccount> lookup(String token);
  }

  private static final int MAX_CACHED = 10_000;

  private record Cached(CompletableFuture<UserAccount> user, long loadedAtMillis) {
    boolean usableAt(long now, long ttlMillis) {
      if (!user.isDone()) {
        return true;
      }
      if (user.isCompletedExceptionally() && CatenaException.statusOf(user.exceptionNow()).retryable()) {
        return false; // mgmtd was unreachable: ask again on the next request
      }
      return now - loadedAtMillis < ttlMillis;
    }

    boolean succeeded() {
      return user.isDone() && !user.isCompletedExceptionally();
    }
  }

  private final TokenLookup lookup;
  private final Function<MethodDescriptor<?, ?>, Access> policy;
  private final Clock clock;
  private final long ttlMillis;
  private final ConcurrentHashMap<String, Cached> cache = new ConcurrentHashMap<>();

  public TokenAuthenticator(TokenLookup lookup, Function<MethodDescriptor<?, ?>, Access> policy, Clock clock,
      Duration ttl) {
    this.lookup = lookup;
    this.policy = policy;
    this.clock = clock;
    this.ttlMillis = ttl.toMillis();
  }

  @Override
  public CompletableFuture<Optional<UserAccount>> authenticate(byte[] token, SocketAddress peer,
      MethodDescriptor<?, ?> method) {
    Access need = method.serviceId() == BuiltinService.SERVICE_ID ? Access.ANYONE : policy.apply(method);
    if (need == Access.ANYONE && token.length == 0) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    if (token.length == 0) {
      return CompletableFuture.failedFuture(CatenaException.of(Errno.EACCES, "%s needs a token: this cluster"
          + " requires authentication (give the process rpc.auth_token_file or --token-file)", method.fullName()));
    }
    return resolve(new String(token, StandardCharsets.UTF_8)).thenApply(user -> {
      if (need == Access.ADMIN && !user.admin()) {
        throw CatenaException.of(Errno.EACCES, "user %s (uid %d) is not an admin; %s needs an admin token",
            user.name(), user.uid(), method.fullName());
      }
      return Optional.of(user);
    });
  }

  private CompletableFuture<UserAccount> resolve(String token) {
    long now = clock.millis();
    Cached old = cache.get(token);
    if (old != null && old.usableAt(now, ttlMillis)) {
      return old.user();
    }
    if (cache.size() >= MAX_CACHED) {
      cache.clear(); // a flood of made-up tokens must not grow the heap
    }
    CompletableFuture<UserAccount> fresh = load(token);
    if (old != null && old.succeeded()) {
      // Keep serving a known user while mgmtd is unreachable; a definite "no" (revoked) wins at once.
      fresh = fresh.exceptionallyCompose(e -> CatenaException.statusOf(e).retryable() ? old.user()
          : CompletableFuture.failedFuture(e));
    }
    Cached mine = new Cached(fresh, now);
    Cached winner = old == null ? cache.putIfAbsent(token, mine) : (cache.replace(token, old, mine) ? null
        : cache.get(token));
    return winner == null ? fresh : winner.user();
  }

  private CompletableFuture<UserAccount> load(String token) {
    CompletableFuture<UserAccount> f;
    try {
      f = lookup.lookup(token);
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    return f.exceptionallyCompose(e -> {
      Status s = CatenaException.statusOf(e);
      if (s.retryable()) {
        return CompletableFuture.failedFuture(CatenaException.retryable(Errno.EAGAIN,
            "cannot check the token now (%s); retry", s.message()));
      }
      if (s.code() == Errno.EKEYREJECTED) {
        return CompletableFuture.failedFuture(CatenaException.of(Errno.EACCES,
            "unknown or revoked token; ask an admin for a token (catena admin user-set-token)"));
      }
      return CompletableFuture.failedFuture(CatenaException.of(Errno.EACCES, "token check failed: %s", s));
    });
  }
}
