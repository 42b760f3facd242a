package io.catena.rpc;

import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import java.util.Objects;

/**
 * One RPC method: its numeric address on the wire (service id, method id), a name for logs, and how to parse its
 * request and response. Service id 0 is reserved for {@link BuiltinService}. Immutable.
 *
 * @param serviceId 0..65535
 * @param methodId 0..65535
 * @param fullName e.g. {@code "catena.meta.Meta/Create"}
 */
public record MethodDescriptor<Req extends Message, Resp extends Message>(int serviceId, int methodId,
    String fullName, Parser<Req> requestParser, Parser<Resp> responseParser) {

  public MethodDescriptor {
    if (serviceId < 0 || serviceId > 0xFFFF || methodId < 0 || methodId > 0xFFFF) {
      throw new IllegalArgumentException("service and method ids are 16-bit: " + serviceId + "/" + methodId);
    }
    Objects.requireNonNull(fullName, "fullName");
    Objects.requireNonNull(requestParser, "requestParser");
    Objects.requireNonNull(responseParser, "responseParser");
  }

  /** A descriptor whose parsers come from the messages' default instances. */
  @SuppressWarnings("unchecked")
  public static <Req extends Message, Resp extends Message> MethodDescriptor<Req, Resp> of(int serviceId,
      int methodId, String fullName, Req requestPrototype, Resp responsePrototype) {
    return new MethodDescriptor<>(serviceId, methodId, fullName,
        (Parser<Req>) requestPrototype.getParserForType(), (Parser<Resp>) responsePrototype.getParserForType());
  }

  /** Service and method ids packed into one int, the key servers dispatch on. */
  public int key() {
    return key(serviceId, methodId);
  }

  public static int key(int serviceId, int methodId) {
    return (serviceId << 16) | methodId;
  }

  @Override
  public String toString() {
    return fullName + "[" + serviceId + "/" + methodId + "]";
  }
}
