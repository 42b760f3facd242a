package io.catena.mgmtd.exports;

import com.google.protobuf.Message;
import io.catena.rpc.RpcHandler;
import io.catena.rpc.ServiceDefinition;
import java.util.Optional;

/**
 * Puts an {@link ExportGuard} in front of every method of a service, so the rules hold on every call and not only
 * at mount time: a refused call never reaches its handler. Inline methods stay inline (the check is a few map
 * lookups). Stateless.
 */
public final class GuardedService {
  private GuardedService() {}

  public static ServiceDefinition wrap(ServiceDefinition d, ExportGuard guard, ExportPolicy policy) {
    ServiceDefinition.Builder b = ServiceDefinition.builder(d.name(), d.serviceId());
    for (ServiceDefinition.Binding<?, ?> binding : d.bindings()) {
      add(b, binding, guard, policy);
    }
    return b.build();
  }

  private static <Req extends Message, Resp extends Message> void add(ServiceDefinition.Builder b,
      ServiceDefinition.Binding<Req, Resp> binding, ExportGuard guard, ExportPolicy policy) {
    RpcHandler<Req, Resp> inner = binding.handler();
    RpcHandler<Req, Resp> guarded = call -> {
      ExportPolicy.Need need = policy.need(call);
      if (need == ExportPolicy.Need.NONE) {
        return inner.handle(call);
      }
      Optional<ExportRule> rule = guard.check(call, need == ExportPolicy.Need.MODIFY,
          policy.subdir(call));
      return inner.handle(rule.isEmpty() ? call : policy.apply(call, rule.get()));
    };
    if (binding.inline()) {
      b.inlineMethod(binding.method(), guarded);
    } else {
      b.method(binding.method(), guarded);
    }
  }
}
