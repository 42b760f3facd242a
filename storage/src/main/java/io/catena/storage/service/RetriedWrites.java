package io.catena.storage.service;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Status;
import io.catena.storage.proto.RequestTag;
import io.catena.storage.proto.WriteResp;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * Applies a client mutation once per (client, channel, sequence) tag: a retry of one that ran, or is running, gets
 * that attempt's result instead of a second application; an older sequence than the channel's last is refused.
 * Records live in the target ({@code Target.dedup}), so a retry sent to a replica that became head is answered too.
 * Thread-safe: the records are a concurrent map updated atomically per channel.
 */
final class RetriedWrites {
  private RetriedWrites() {}

  /** Runs {@code op} unless this tag's request already ran here; untagged requests always run. */
  static WriteResp once(Target t, RequestTag tag, Supplier<WriteResp> op) {
    if (tag == null || tag.getClientId() == 0) {
      return op.get();
    }
    Target.ChannelKey key = new Target.ChannelKey(tag.getClientId(), tag.getChannel());
    CompletableFuture<WriteResp> mine = new CompletableFuture<>();
    Target.Done ours = new Target.Done(tag.getSeq(), mine);
    Target.Done[] prev = new Target.Done[1];
    t.dedup.compute(key, (k, v) -> {
      if (v != null && v.seq() >= tag.getSeq()) {
        prev[0] = v;
        return v;
      }
      return ours;
    });
    if (prev[0] != null) {
      if (prev[0].seq() != tag.getSeq()) {
        throw CatenaException.of(Errno.EALREADY, "request %d on channel %d superseded by %d", tag.getSeq(),
            tag.getChannel(), prev[0].seq());
      }
      try {
        return prev[0].result().get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw CatenaException.retryable(Errno.EINTR, "interrupted");
      } catch (ExecutionException e) {
        throw e.getCause() instanceof CatenaException ce ? ce : new CatenaException(Status.of(Errno.EIO, "%s",
            e.getCause()), e.getCause());
      }
    }
    try {
      WriteResp r = op.get();
      mine.complete(r);
      return r;
    } catch (RuntimeException e) {
      mine.completeExceptionally(e);
      t.dedup.remove(key, ours);
      throw e;
    }
  }

  /** Records the result of a tagged mutation this replica applied for its predecessor (or as head). */
  static void remember(Target t, RequestTag tag, WriteResp resp) {
    if (tag != null && tag.getClientId() != 0) {
      Target.ChannelKey key = new Target.ChannelKey(tag.getClientId(), tag.getChannel());
      Target.Done d = new Target.Done(tag.getSeq(), CompletableFuture.completedFuture(resp));
      t.dedup.merge(key, d, (old, nu) -> old.seq() >= nu.seq() ? old : nu);
    }
  }
}
