package io.catena.rpc.netty;

import io.catena.rpc.TransportKind;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Picks the socket implementation and builds its event loops, falling back when natives are missing. Stateless. */
final class Transports {
  private static final Logger LOG = LoggerFactory.getLogger(Transports.class);

  private Transports() {}

  /** A ready event-loop group with the channel classes that belong to it. Immutable. */
  record Selected(String name, EventLoopGroup group, Class<? extends ServerChannel> serverChannel,
      Class<? extends Channel> channel) {}

  /**
   * Socket reads grow up to 1 MiB (Netty's default stops at 64 KiB): a 1 MiB attachment then arrives in a few
   * reads and becomes a slice over few buffers. On the loopback benchmark this cut CPU per 1 MiB download by about
   * a quarter (RpcBench, cpu us/call); reads shrink back when traffic is small.
   */
  static RecvByteBufAllocator recvAllocator() {
    return new AdaptiveRecvByteBufAllocator(64, 2048, 1 << 20);
  }

  static Selected create(TransportKind wanted, int threads, String threadPrefix) {
    int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    TransportKind kind = wanted;
    if (kind == TransportKind.IO_URING) {
      if (IoUring.isAvailable()) {
        try {
          return build("io_uring", IoUringIoHandler.newFactory(), n, threadPrefix, IoUringServerSocketChannel.class,
              IoUringSocketChannel.class);
        } catch (Throwable t) {
          LOG.warn("io_uring transport failed to start ({}); falling back", String.valueOf(t));
        }
      } else {
        LOG.warn("io_uring transport unavailable ({}); falling back", String.valueOf(IoUring.unavailabilityCause()));
      }
      kind = TransportKind.AUTO;
    }
    if (kind == TransportKind.AUTO || kind == TransportKind.EPOLL) {
      if (Epoll.isAvailable()) {
        return build("epoll", EpollIoHandler.newFactory(), n, threadPrefix, EpollServerSocketChannel.class,
            EpollSocketChannel.class);
      }
      if (kind == TransportKind.EPOLL) {
        LOG.warn("epoll transport unavailable ({}); falling back to nio",
            String.valueOf(Epoll.unavailabilityCause()));
      }
    }
    return build("nio", NioIoHandler.newFactory(), n, threadPrefix, NioServerSocketChannel.class,
        NioSocketChannel.class);
  }

  private static Selected build(String name, IoHandlerFactory factory, int threads, String prefix,
      Class<? extends ServerChannel> server, Class<? extends Channel> client) {
    EventLoopGroup g = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(prefix + "-" + name, true),
        factory);
    return new Selected(name, g, server, client);
  }
}
