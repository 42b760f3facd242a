package io.catena.dist;

import io.catena.bench.FuseBench;
import io.catena.bench.KvBench;
import io.catena.bench.RpcBench;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code catena bench ...}: the benchmarks; figures are printed, never asserted. */
@Command(name = "bench", description = "Run a benchmark and print its figures.",
    subcommands = {RpcBench.class, KvBench.class, io.catena.bench.MetaBench.class, io.catena.bench.StorageBench.class,
        FuseBench.class, io.catena.bench.IoBench.class})
final class BenchCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing benchmark: rpc, kv, meta, storage, fuse or io");
  }
}
