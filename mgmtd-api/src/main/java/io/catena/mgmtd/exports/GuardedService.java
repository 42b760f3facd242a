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
    return d.decorated(new ServiceDefinition.HandlerDecorator() {
      @Override
      public <Req extends Message, Resp extends Message> RpcHandler<Req, Resp> decorate(
          ServiceDefinition.Binding<Req, Resp> binding) {
        RpcHandler<Req, Resp> inner = binding.handler();
        return call -> {
          ExportPolicy.Need need = policy.need(call);
          if (need == ExportPolicy.Need.NONE) {
            return inner.handle(call);
          }
          Optional<ExportRule> rule = guard.check(call, need == ExportPolicy.Need.MODIFY, policy.subdir(call));
          return inner.handle(rule.isEmpty() ? call : policy.apply(call, rule.get()));
        };
      }
    });
  }
}
