package io.catena.rpc;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Status;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.rpc.test.EchoRequest;
import io.catena.rpc.test.EchoResponse;
import io.catena.rpc.test.FailRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** Descriptors and handlers of the test service (id 7). Stateless. */
final class TestServices {
  private TestServices() {}

  static final int SERVICE = 7;
  static final MethodDescriptor<EchoRequest, EchoResponse> ECHO = MethodDescriptor.of(SERVICE, 1, "test.Echo/Echo",
      EchoRequest.getDefaultInstance(), EchoResponse.getDefaultInstance());
  static final MethodDescriptor<FailRequest, EchoResponse> FAIL = MethodDescriptor.of(SERVICE, 2, "test.Echo/Fail",
      FailRequest.getDefaultInstance(), EchoResponse.getDefaultInstance());
  static final MethodDescriptor<EchoRequest, EchoResponse> SLOW = MethodDescriptor.of(SERVICE, 3, "test.Echo/Slow",
      EchoRequest.getDefaultInstance(), EchoResponse.getDefaultInstance());
  static final MethodDescriptor<EchoRequest, EchoResponse> INLINE_ECHO = MethodDescriptor.of(SERVICE, 4,
      "test.Echo/InlineEcho", EchoRequest.getDefaultInstance(), EchoResponse.getDefaultInstance());
  /** Not registered on any server. */
  static final MethodDescriptor<EchoRequest, EchoResponse> MISSING = MethodDescriptor.of(SERVICE, 99,
      "test.Echo/Missing", EchoRequest.getDefaultInstance(), EchoResponse.getDefaultInstance());

  static Config config(Map<String, String> overrides) {
    Config c = Config.defaults(ConfigSchema.fromHolders(RpcConfig.class));
    return overrides.isEmpty() ? c : c.withUpdates(overrides, "test", false);
  }

  static Config config() {
    return config(Map.of());
  }

  /** Echo, Fail and InlineEcho, plus Slow bound to {@code slow}. */
  static ServiceDefinition service(RpcHandler<EchoRequest, EchoResponse> slow) {
    return ServiceDefinition.builder("test.Echo", SERVICE)
        .method(ECHO, TestServices::echo)
        .inlineMethod(INLINE_ECHO, TestServices::echo)
        .method(FAIL, call -> {
          FailRequest r = call.request();
          if (r.getThrowRuntime()) {
            throw new IllegalStateException("handler bug: " + r.getMessage());
          }
          Status s = r.getRedirectNode() != 0 ? Status.notPrimary(r.getRedirectNode(), r.getRedirectAddress())
              : r.getRetryable() ? Status.retryable(Errno.fromCode(r.getErrno()), "%s", r.getMessage())
              : Status.of(Errno.fromCode(r.getErrno()), "%s", r.getMessage());
          return CompletableFuture.failedFuture(new CatenaException(s));
        })
        .method(SLOW, slow)
        .build();
  }

  static CompletableFuture<RpcReply<EchoResponse>> echo(RpcCall<EchoRequest> call) {
    EchoRequest r = call.request();
    if (r.getReplyAttachmentSize() > 0) {
      ByteBuf data = Unpooled.wrappedBuffer(pattern(r.getReplyAttachmentSize(), 3));
      return CompletableFuture.completedFuture(RpcReply.of(
          EchoResponse.newBuilder().setText(r.getText()).build(), Attachment.of(data)));
    }
    Optional<ByteBuf> a = call.attachment();
    EchoResponse.Builder b = EchoResponse.newBuilder().setText(r.getText());
    if (a.isEmpty()) {
      return CompletableFuture.completedFuture(RpcReply.of(b.build()));
    }
    b.setAttachmentSize(a.get().readableBytes()).setAttachmentChecksum(checksum(a.get()));
    return CompletableFuture.completedFuture(RpcReply.of(b.build(), Attachment.of(call.takeAttachment())));
  }

  static byte[] pattern(int size, int seed) {
    byte[] b = new byte[size];
    for (int i = 0; i < size; i++) {
      b[i] = (byte) (i * 31 + seed + (i >>> 10));
    }
    return b;
  }

  static long checksum(ByteBuf b) {
    long h = 1125899906842597L;
    for (byte x : bytes(b)) {
      h = 31 * h + x;
    }
    return h;
  }

  static byte[] bytes(ByteBuf b) {
    byte[] out = new byte[b.readableBytes()];
    b.getBytes(b.readerIndex(), out);
    return out;
  }
}
