package io.catena.bench;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The engine choice the KV and metadata benchmarks share (a picocli mixin). Confined to the command's thread. */
final class EngineOptions {
  // Split only where an engine name follows: an etcd URL's endpoint list has commas of its own.
  @Option(names = "--engine", defaultValue = "rocksdb", split = BenchEngine.SPLIT,
      description = "Engines to measure one after the other: rocksdb, mem, etcd (a throwaway local cluster of"
          + " --etcd-members members) or an engine URL such as etcd://host:port/prefix (default ${DEFAULT-VALUE}).")
  String[] engines;

  @Option(names = "--etcd-members", defaultValue = "3",
      description = "Members of the local cluster that --engine etcd starts (default ${DEFAULT-VALUE}).")
  int etcdMembers;

  @Option(names = "--etcd-data", defaultValue = "/dev/shm",
      description = "Where the local etcd cluster keeps its data (default ${DEFAULT-VALUE}: no disk fsync cost).")
  Path etcdData;

  BenchEngine.EtcdOptions etcd() {
    return new BenchEngine.EtcdOptions(etcdMembers, etcdData);
  }
}
