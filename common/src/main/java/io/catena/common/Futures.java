package io.catena.common;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** Bridges future-based APIs to exception-based ones without losing the status. Stateless. */
public final class Futures {
  private Futures() {}

  /** Waits for {@code f}; a failure is rethrown as the CatenaException it carries (or EIO wrapping it). */
  public static <T> T join(CompletableFuture<T> f) {
    try {
      return f.join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof CatenaException ce ? ce : new CatenaException(CatenaException.statusOf(e), e);
    }
  }
}
