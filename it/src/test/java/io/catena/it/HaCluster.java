package io.catena.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code catena up --ha} cluster started through the real launcher: three etcd members, two mgmtd, two meta, the
 * storage nodes and the mount at DATA/mnt, every server process supervised (restarted when it dies). Finds each
 * role's process, the primary mgmtd ({@code catena status}) and the etcd leader (etcd's own status API). Stopping is
 * SIGTERM to {@code up}, which must leave no process and no mount behind. Not thread-safe: owned by one test.
 */
final class HaCluster implements AutoCloseable {
  private static final Pattern ETCD = Pattern.compile("^\\s+etcd\\s+(http://\\S+)\\s+member (\\d+)");
  private static final Pattern MGMTD = Pattern.compile("^\\s+mgmtd\\s+(tcp://\\S+)\\s+node (\\d+)");
  private static final Pattern META = Pattern.compile("^\\s+meta\\s+(tcp://\\S+)\\s+node (\\d+), KV (\\S+)");
  private static final Pattern MEMBER_ID = Pattern.compile("\"member_id\":\"(\\d+)\"");
  private static final Pattern LEADER = Pattern.compile("\"leader\":\"(\\d+)\"");

  final Path data;
  final Path mnt;
  final Launcher.Daemon up;
  final List<String> etcdUrls = new ArrayList<>();
  final List<String> mgmtdAddresses = new ArrayList<>();
  final List<String> metaAddresses = new ArrayList<>();
  String kvUrl;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

  private HaCluster(Path data, Launcher.Daemon up) {
    this.data = data;
    this.mnt = data.resolve("mnt");
    this.up = up;
  }

  /** Starts {@code catena up --ha --data DATA [EXTRA...]} and waits until it says it is up. */
  static HaCluster start(Path data, String... extra) throws InterruptedException {
    return start(data, Map.of(), extra);
  }

  /** As {@link #start(Path, String...)}, with extra environment (CATENA_* overrides every process inherits). */
  static HaCluster start(Path data, Map<String, String> env, String... extra) throws InterruptedException {
    List<String> args = new ArrayList<>(List.of("up", "--ha", "--data", data.toString()));
    args.addAll(List.of(extra));
    Launcher.Daemon up = new Launcher.Daemon(env, args.toArray(String[]::new));
    HaCluster c = new HaCluster(data, up);
    try {
      up.awaitLine(l -> l.startsWith("Stop it with"), Duration.ofMinutes(4));
      for (String line : up.output().split("\n")) {
        Matcher m;
        if ((m = ETCD.matcher(line)).find()) {
          c.etcdUrls.add(m.group(1));
        } else if ((m = MGMTD.matcher(line)).find()) {
          c.mgmtdAddresses.add(m.group(1));
        } else if ((m = META.matcher(line)).find()) {
          c.metaAddresses.add(m.group(1));
          c.kvUrl = m.group(3);
        }
      }
      assertEquals(3, c.etcdUrls.size(), up.output());
      assertEquals(2, c.mgmtdAddresses.size(), up.output());
      assertEquals(2, c.metaAddresses.size(), up.output());
      return c;
    } catch (RuntimeException | Error | InterruptedException e) {
      up.close();
      throw e;
    }
  }

  /** The running process of this cluster whose command line contains {@code fragment}, other than {@code notPid}. */
  Optional<ProcessHandle> process(String fragment, long notPid) {
    String dir = data.toString();
    return ProcessHandle.allProcesses().filter(p -> p.pid() != notPid)
        .filter(p -> p.info().commandLine().map(c -> c.contains(fragment) && c.contains(dir)).orElse(false))
        .findFirst();
  }

  /** A fragment of each role's command line that names exactly one process of this cluster. */
  String etcdMember(int member) {
    return "--data-dir " + data.resolve("etcd-" + member) + " ";
  }

  String mgmtd(int nodeId) {
    return "mgmtd --node-id " + nodeId + " ";
  }

  String meta(int nodeId) {
    return "meta --node-id " + nodeId + " ";
  }

  String storage(int n) {
    return "--disk " + data.resolve("storage-" + n) + " ";
  }

  /** kill -9 of the process named by {@code fragment}; returns its pid. */
  long kill(String fragment) throws InterruptedException {
    ProcessHandle p = process(fragment, -1).orElseThrow(() -> new AssertionError("no process " + fragment));
    p.destroyForcibly();
    assertTrue(p.onExit().completeOnTimeout(null, 30, TimeUnit.SECONDS).join() != null || !p.isAlive(),
        fragment + " did not die");
    return p.pid();
  }

  /** Waits until the supervisor started the process named by {@code fragment} again (a pid other than the dead one). */
  long awaitRestarted(String fragment, long deadPid, Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < end) {
      Optional<ProcessHandle> p = process(fragment, deadPid);
      if (p.isPresent()) {
        return p.get().pid();
      }
      Thread.sleep(100); // polling the process table with a deadline
    }
    throw new AssertionError(fragment + " was not started again within " + timeout + "; up's output:\n"
        + up.output());
  }

  /** The node id of the mgmtd that says it is primary ({@code catena status}); fails if none does in time. */
  int primaryMgmtd(Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    String last = "";
    while (System.nanoTime() < end) {
      for (int i = 0; i < mgmtdAddresses.size(); i++) {
        Launcher.Result r = Launcher.run(Duration.ofSeconds(30), Map.of(), "status", "--address",
            mgmtdAddresses.get(i));
        last = r.out() + r.err();
        if (r.exitCode() == 0 && r.out().contains(", primary")) {
          return i + 1;
        }
      }
      Thread.sleep(200); // polling the mgmtd processes with a deadline
    }
    throw new AssertionError("no mgmtd says it is primary within " + timeout + "; last answer: " + last);
  }

  /** The member number (1-based) of the etcd leader, asked through etcd's maintenance status API. */
  int etcdLeader() throws IOException, InterruptedException {
    for (int i = 0; i < etcdUrls.size(); i++) {
      HttpRequest req = HttpRequest.newBuilder(URI.create(etcdUrls.get(i) + "/v3/maintenance/status"))
          .timeout(Duration.ofSeconds(3)).POST(HttpRequest.BodyPublishers.ofString("{}")).build();
      String body = http.send(req, HttpResponse.BodyHandlers.ofString()).body();
      Matcher id = MEMBER_ID.matcher(body);
      Matcher leader = LEADER.matcher(body);
      if (id.find() && leader.find() && id.group(1).equals(leader.group(1))) {
        return i + 1;
      }
    }
    throw new AssertionError("no etcd member says it leads");
  }

  /** {@code catena admin health --wait}: returns once every chain serves on all replicas and no node failed. */
  void awaitHealthy(Duration timeout) {
    Launcher.Result r = Launcher.run(timeout.plusSeconds(30), Map.of(), "admin", "health", "--data",
        data.toString(), "--wait", "--wait-timeout", timeout.toSeconds() + "s");
    assertEquals(0, r.exitCode(), "the cluster did not become healthy: " + r.out() + r.err());
  }

  /** {@code catena admin fsck} on the cluster's etcd store. */
  Launcher.Result fsck() {
    return Launcher.run(Duration.ofMinutes(2), Map.of(), "admin", "fsck", "--kv", kvUrl);
  }

  /** SIGTERM to `up`: it must exit within a minute, unmount, and leave no process of this cluster running. */
  void stop() throws Exception {
    up.process.toHandle().destroy();
    if (!up.process.waitFor(90, TimeUnit.SECONDS)) {
      up.close();
      fail("catena up --ha did not stop within 90 s of SIGTERM; output:\n" + up.output());
    }
    List<String> left = ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().map(c -> c.contains(data.toString())).orElse(false))
        .map(p -> p.pid() + " " + p.info().commandLine().orElse("")).toList();
    left.forEach(l -> ProcessHandle.of(Long.parseLong(l.split(" ")[0])).ifPresent(ProcessHandle::destroyForcibly));
    if (SingleMachineCluster.mounted(mnt)) {
      Launcher.run(Duration.ofSeconds(30), Map.of(), "umount", mnt.toString());
      fail("the mount was left behind after SIGTERM");
    }
    assertEquals(List.of(), left, "processes of the cluster left running after SIGTERM");
  }

  @Override
  public void close() throws Exception {
    if (up.process.isAlive()) {
      stop();
    }
  }
}
