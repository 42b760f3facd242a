package io.catena.admin;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.Durations;
import io.catena.mgmtd.DrainState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code catena admin drain}: marks targets (or every target of a node) for removal, unmarks them, or shows where
 * each drain stands. mgmtd does the moves in the background; this command only asks and reports.
 */
@Command(name = "drain", sortOptions = false,
    description = {"Mark targets (or a whole storage node) for removal and move their data off, like MooseFS's `*` "
        + "in mfshdd.cfg.",
        "mgmtd gives every chain holding a draining target a replacement replica on another node, lets it sync, "
            + "and only when it serves takes the draining target out of the chain, so no chain loses a replica. "
            + "Draining targets take no new chains. When --status shows a target done, remove-target deletes it "
            + "and its node can be stopped.",
        "Refused (ENOSPC) when a chain has no other storage node to move to, e.g. replication 3 on 3 nodes."},
    footer = ExitCodes.FOOTER)
final class DrainCommand extends AdminCall.Remote {
  @Parameters(paramLabel = "TARGET", arity = "0..*", description = "targets to drain")
  List<Long> targets = new ArrayList<>();

  @Option(names = "--node", paramLabel = "NODE", description = "drain every target of this storage node")
  Long node;

  @Option(names = "--status", description = "show every draining target: its chain, the replacement, done or not")
  boolean status;

  @Option(names = "--cancel", description = "unmark the targets (a replacement already added stays as an extra "
      + "replica)")
  boolean cancel;

  @Option(names = "--wait", description = "then watch (progress on stderr) until every draining target is done")
  boolean await;

  @CommandLine.Mixin
  WaitTimeout waitTimeout;

  @Override
  int run(AdminSession s) throws InterruptedException {
    boolean named = !targets.isEmpty() || node != null;
    if (status && (named || cancel)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--status takes no targets, --node or --cancel");
    }
    if (!status && !named) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "name targets to drain, or --node NODE (or --status to see the drains)");
    }
    long n = node == null ? 0 : node;
    List<DrainState> states;
    if (status) {
      states = s.drains().drainStatus(s.clusterId());
    } else if (cancel) {
      states = s.drains().cancelDrain(s.clusterId(), targets, n);
    } else {
      states = s.drains().drain(s.clusterId(), targets, n);
    }
    if (await) {
      states = awaitDone(s, states, waitTimeout.duration());
    }
    print(json(), doc(states), table(states));
    return ExitCodes.OK;
  }

  private List<DrainState> awaitDone(AdminSession s, List<DrainState> states, Duration timeout)
      throws InterruptedException {
    long start = System.nanoTime();
    long end = start + timeout.toNanos();
    String last = null;
    while (!states.stream().allMatch(DrainState::done)) {
      String now = summary(states);
      if (!now.equals(last)) {
        err().printf("drain: %s (%ds)%n", now, (System.nanoTime() - start) / 1_000_000_000L);
        err().flush();
        last = now;
      }
      if (System.nanoTime() > end) {
        throw CatenaException.of(Errno.ETIMEDOUT, "drain not done after %s: %s", Durations.format(timeout), now);
      }
      Thread.sleep(1000); // polling mgmtd with a deadline: moves advance with heartbeats and resyncs
      states = s.drains().drainStatus(s.clusterId());
    }
    return states;
  }

  @Override
  String hint(CatenaException e) {
    if (e.errno() == Errno.ENOSPC) {
      return "add a storage node (or cancel another drain), then drain again";
    }
    if (e.errno() == Errno.ETIMEDOUT && e.getMessage().contains("not done")) {
      return "the drain goes on in mgmtd; watch it with `drain --status`";
    }
    return null;
  }

  static String summary(List<DrainState> states) {
    long done = states.stream().filter(DrainState::done).count();
    long moving = states.stream().filter(x -> !x.done() && x.replacementTargetId() != 0).count();
    return states.size() + " draining targets: " + done + " done, " + moving + " moving, "
        + (states.size() - done - moving) + " waiting for a move";
  }

  static Map<String, Object> view(DrainState d) {
    return Views.obj("target_id", d.targetId(), "node_id", d.nodeId(), "chain_id", d.chainId(), "phase", d.phase(),
        "done", d.done(), "replacement_target_id", d.replacementTargetId(), "replacement_state",
        d.replacementState(), "bytes_left", d.bytesLeft(), "blocked_reason", d.blockedReason(),
        "marked_at_millis", d.markedAtMillis());
  }

  private static Map<String, Object> doc(List<DrainState> states) {
    return Views.obj("all_done", states.stream().allMatch(DrainState::done),
        "draining", states.stream().map(DrainCommand::view).toList());
  }

  private static Table table(List<DrainState> states) {
    Table t = new Table("TARGET", "NODE", "CHAIN", "PHASE", "REPLACEMENT", "LEFT", "DETAIL");
    for (DrainState d : states) {
      t.row(d.targetId(), d.nodeId(), d.done() ? "-" : d.chainId(), d.phase(),
          d.replacementTargetId() == 0 ? "-" : d.replacementTargetId(),
          d.replacementTargetId() == 0 ? "-" : Views.bytes(d.bytesLeft()),
          d.done() ? "in no chain: remove-target --target " + d.targetId() + " deletes it" : d.blockedReason());
    }
    t.footer(summary(states));
    return t;
  }
}
