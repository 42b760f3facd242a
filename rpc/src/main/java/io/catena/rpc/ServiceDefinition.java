package io.catena.rpc;

import com.google.protobuf.Message;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The methods one service offers, each bound to its handler. Immutable once built; the builder is not thread-safe.
 */
public final class ServiceDefinition {

  /** One registered method. {@code inline} handlers run on the I/O thread: only for cheap, non-blocking work. */
  public record Binding<Req extends Message, Resp extends Message>(MethodDescriptor<Req, Resp> method,
      RpcHandler<Req, Resp> handler, boolean inline) {}

  private final String name;
  private final int serviceId;
  private final List<Binding<?, ?>> bindings;

  private ServiceDefinition(String name, int serviceId, List<Binding<?, ?>> bindings) {
    this.name = name;
    this.serviceId = serviceId;
    this.bindings = Collections.unmodifiableList(new ArrayList<>(bindings));
  }

  public static Builder builder(String name, int serviceId) {
    return new Builder(name, serviceId);
  }

  public String name() {
    return name;
  }

  public int serviceId() {
    return serviceId;
  }

  public List<Binding<?, ?>> bindings() {
    return bindings;
  }

  /**
   * Wraps each method's handler, e.g. to time, check or confine every call of a service. Implemented by a class (a
   * generic method cannot be a lambda).
   */
  public interface HandlerDecorator {
    <Req extends Message, Resp extends Message> RpcHandler<Req, Resp> decorate(Binding<Req, Resp> binding);
  }

  /** This service with every handler wrapped by {@code decorator}; methods keep their descriptors and inline flags. */
  public ServiceDefinition decorated(HandlerDecorator decorator) {
    Builder b = builder(name, serviceId);
    for (Binding<?, ?> binding : bindings) {
      b.add(decorate(binding, decorator));
    }
    return b.build();
  }

  private static <Req extends Message, Resp extends Message> Binding<Req, Resp> decorate(Binding<Req, Resp> b,
      HandlerDecorator decorator) {
    return new Binding<>(b.method(), decorator.decorate(b), b.inline());
  }

  /** Collects method bindings. Not thread-safe. */
  public static final class Builder {
    private final String name;
    private final int serviceId;
    private final List<Binding<?, ?>> bindings = new ArrayList<>();
    private final Set<Integer> methodIds = new HashSet<>();

    private Builder(String name, int serviceId) {
      this.name = Objects.requireNonNull(name, "name");
      this.serviceId = serviceId;
    }

    /** A handler run on the server's worker executor. */
    public <Req extends Message, Resp extends Message> Builder method(MethodDescriptor<Req, Resp> method,
        RpcHandler<Req, Resp> handler) {
      return add(new Binding<>(method, handler, false));
    }

    /** A handler run directly on the I/O thread: it must never block (e.g. ping, cached lookups). */
    public <Req extends Message, Resp extends Message> Builder inlineMethod(MethodDescriptor<Req, Resp> method,
        RpcHandler<Req, Resp> handler) {
      return add(new Binding<>(method, handler, true));
    }

    private Builder add(Binding<?, ?> b) {
      if (b.method().serviceId() != serviceId) {
        throw new IllegalArgumentException(b.method() + " does not belong to service " + serviceId);
      }
      if (!methodIds.add(b.method().methodId())) {
        throw new IllegalArgumentException("method id " + b.method().methodId() + " registered twice in " + name);
      }
      Objects.requireNonNull(b.handler(), "handler");
      bindings.add(b);
      return this;
    }

    public ServiceDefinition build() {
      return new ServiceDefinition(name, serviceId, bindings);
    }
  }
}
