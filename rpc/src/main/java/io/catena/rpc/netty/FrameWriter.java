package io.catena.rpc.netty;

import io.catena.rpc.Attachment;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.DefaultFileRegion;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.internal.PlatformDependent;
import java.util.Queue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Queues outbound frames from any thread and writes them on the channel's event loop in batches with one flush per
 * batch: many concurrent callers cost one event-loop task and one writev, not one each. Thread-safe.
 */
final class FrameWriter implements Runnable {

  /** One frame: encoded head, optional attachment, and what to do if it could not be written. */
  record Out(ByteBuf head, Attachment attachment, Consumer<Throwable> onFailure) {
    long size() {
      return head.readableBytes() + (attachment == null ? 0 : attachment.length());
    }
  }

  private final Channel channel;
  private final Queue<Out> queue = PlatformDependent.newMpscQueue();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final AtomicLong queuedBytes = new AtomicLong();

  FrameWriter(Channel channel) {
    this.channel = channel;
  }

  /** Bytes accepted but not yet handed to the socket. */
  long queuedBytes() {
    return queuedBytes.get();
  }

  void write(Out out) {
    queuedBytes.addAndGet(out.size());
    queue.add(out);
    if (scheduled.compareAndSet(false, true)) {
      try {
        channel.eventLoop().execute(this);
      } catch (RejectedExecutionException e) {
        drainFailed(e);
      }
    }
  }

  @Override
  public void run() {
    scheduled.set(false);
    Out out;
    boolean wrote = false;
    while ((out = queue.poll()) != null) {
      writeOne(out);
      wrote = true;
    }
    if (wrote) {
      channel.flush();
    }
  }

  private void writeOne(Out out) {
    long size = out.size();
    Attachment att = out.attachment();
    ChannelFutureListener done = f -> {
      queuedBytes.addAndGet(-size);
      if (!f.isSuccess() && out.onFailure() != null) {
        out.onFailure().accept(f.cause());
      }
    };
    if (att == null) {
      channel.write(out.head()).addListener(done);
      return;
    }
    channel.write(out.head());
    Object msg = switch (att) {
      case Attachment.Buffer b -> b.buf();
      case Attachment.FileRegion fr -> new BorrowedFileRegion(fr);
    };
    channel.write(msg).addListener(done);
  }

  private void drainFailed(Throwable cause) {
    scheduled.set(false);
    Out out;
    while ((out = queue.poll()) != null) {
      queuedBytes.addAndGet(-out.size());
      ReferenceCountUtil.safeRelease(out.head());
      if (out.attachment() != null) {
        out.attachment().release();
      }
      if (out.onFailure() != null) {
        out.onFailure().accept(cause);
      }
    }
  }

  /** A file region that leaves the caller's FileChannel open (Netty's default closes it on release). */
  private static final class BorrowedFileRegion extends DefaultFileRegion {
    private final Attachment.FileRegion region;

    BorrowedFileRegion(Attachment.FileRegion fr) {
      super(fr.file(), fr.position(), fr.length());
      this.region = fr;
    }

    @Override
    protected void deallocate() {
      region.release();
    }
  }
}
