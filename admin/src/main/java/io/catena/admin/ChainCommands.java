package io.catena.admin;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.config.Durations;
import io.catena.mgmtd.ChainUpdate;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Operator changes to chains and targets: offline-target, remove-target, rotate-lastsrv, update-chain. */
final class ChainCommands {
  private ChainCommands() {}

  static Table chainTable(RoutingInfo r, ChainInfo c) {
    Table t = new Table("TARGET", "STATE", "NODE");
    for (var m : c.targets()) {
      t.row(m.targetId(), m.state(), r == null ? "-" : Views.nodeOf(r, m.targetId()));
    }
    t.footer("chain " + c.chainId() + " is now at version " + c.version());
    return t;
  }

  @Command(name = "offline-target", description = "Take a target offline now (e.g. a failing disk); its chain goes on "
      + "without it, and it must report itself offline before it may sync again.", footer = ExitCodes.FOOTER)
  static final class OfflineTarget extends AdminCall.Remote {
    @Option(names = "--target", paramLabel = "ID", required = true, description = "target id")
    long target;

    @Override
    int run(AdminSession s) {
      ChainInfo c = s.mgmtd().offlineTarget(s.clusterId(), target);
      print(json(), Views.obj("target_id", target, "chain", Views.chain(c)), chainTable(s.routing(), c));
      return ExitCodes.OK;
    }
  }

  @Command(name = "remove-target", description = {"Delete a target from the cluster: one in no chain, or an OFFLINE "
      + "member (it leaves its chain in the same step).",
      "The storage node keeps the data until the target is removed there."}, footer = ExitCodes.FOOTER)
  static final class RemoveTarget extends AdminCall.Remote {
    @Option(names = "--target", paramLabel = "ID", required = true, description = "target id")
    long target;

    @Override
    int run(AdminSession s) {
      Optional<ChainInfo> c = s.mgmtd().removeTarget(s.clusterId(), target);
      Table t = c.isPresent() ? chainTable(s.routing(), c.get()) : new Table("TARGET", "CHAIN").row(target, "-");
      t.footer("removed target " + target);
      print(json(), Views.obj("removed_target_id", target, "chain", c.map(Views::chain).orElse(null)), t);
      return ExitCodes.OK;
    }

    @Override
    String hint(CatenaException e) {
      return e.errno() == Errno.EBUSY ? "take it out of service first (`catena admin offline-target --target "
          + target + "`, or update-chain --remove), then run remove-target again" : null;
    }
  }

  @Command(name = "rotate-lastsrv", description = {"Give up on a chain's dead lastsrv member: it goes offline and "
      + "another member (default: the first waiting, else the most recently failed) becomes lastsrv.",
      "Writes the promoted member missed are LOST: only for a lastsrv that will not come back."},
      footer = ExitCodes.FOOTER)
  static final class RotateLastSrv extends AdminCall.Remote {
    @Option(names = "--chain", paramLabel = "ID", required = true, description = "chain id")
    long chain;

    @Option(names = "--promote", paramLabel = "TARGET", description = "the member to promote")
    Long promote;

    @Override
    int run(AdminSession s) {
      ChainInfo c = s.mgmtd().rotateLastSrv(s.clusterId(), chain,
          promote == null ? OptionalLong.empty() : OptionalLong.of(promote));
      print(json(), Views.obj("chain", Views.chain(c)), chainTable(s.routing(), c));
      return ExitCodes.OK;
    }
  }

  @Command(name = "update-chain", sortOptions = false,
      description = {"Add a target to a chain or remove one.",
          "An added target joins as WAITING and syncs from the serving members once its node reports it; --wait "
              + "watches until it serves. Removing is refused (EBUSY) for the only member, the last serving one "
              + "and the lastsrv one; the removed target stays in the cluster in no chain."},
      footer = ExitCodes.FOOTER)
  static final class UpdateChain extends AdminCall.Remote {
    @Option(names = "--chain", paramLabel = "ID", required = true, description = "chain id")
    long chain;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Change change;

    static final class Change {
      @Option(names = "--add", paramLabel = "TARGET", description = "target to add (create it first)")
      Long add;

      @Option(names = "--remove", paramLabel = "TARGET", description = "member to remove")
      Long remove;
    }

    @Option(names = "--wait", description = "after --add, show the sync's progress until the target serves")
    boolean await;

    @CommandLine.Mixin
    WaitTimeout waitTimeout;

    @Override
    int run(AdminSession s) throws InterruptedException {
      ChainUpdate u = change.add != null ? ChainUpdate.add(chain, change.add) : ChainUpdate.remove(chain,
          change.remove);
      ChainInfo c = s.mgmtd().updateChain(s.clusterId(), u);
      if (await && change.add != null) {
        c = awaitServing(s, c, change.add, waitTimeout.duration());
      }
      print(json(), Views.obj("chain", Views.chain(c)), chainTable(s.routing(), c));
      return ExitCodes.OK;
    }

    /** Polls routing (a sync's progress shows as state changes) until the target serves or the timeout passes. */
    private ChainInfo awaitServing(AdminSession s, ChainInfo c, long target, Duration timeout)
        throws InterruptedException {
      long end = System.nanoTime() + timeout.toNanos();
      PublicTargetState last = null;
      long start = System.nanoTime();
      while (true) {
        PublicTargetState st = c.stateOf(target).orElse(PublicTargetState.OFFLINE);
        if (!Objects.equals(st, last)) {
          err().printf("update-chain: target %d is %s in chain %d v%d (%ds)%n", target, st, c.chainId(), c.version(),
              (System.nanoTime() - start) / 1_000_000_000L);
          err().flush();
          last = st;
        }
        if (st == PublicTargetState.SERVING) {
          return c;
        }
        if (System.nanoTime() > end) {
          throw CatenaException.of(Errno.ETIMEDOUT, "target %d is still %s in chain %d after %s", target, st,
              c.chainId(), Durations.format(timeout));
        }
        Thread.sleep(500); // polling mgmtd's routing with a deadline: state changes arrive with heartbeats
        c = s.routing().chain(chain).orElseThrow(() -> CatenaException.of(Errno.ENOENT, "chain %d vanished", chain));
      }
    }

    @Override
    String hint(CatenaException e) {
      if (e.errno() == Errno.ETIMEDOUT && e.getMessage().contains("is still")) {
        return "the change was made; check the target's node (list-targets --chain " + chain + ") and watch again";
      }
      return null;
    }
  }
}
