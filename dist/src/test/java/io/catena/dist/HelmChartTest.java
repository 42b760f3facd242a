package io.catena.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.catena.common.config.ConfigSchema;
import io.catena.common.config.Key;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The Helm chart {@code deploy/helm/catena}, rendered by helm's own template engine (helm-java embeds the native
 * helm library) with the default values, the HA example and variants, and checked against the launcher: every
 * container's arguments parse as a real launcher command, every {@code CATENA_*} variable is a key of that role and
 * its value passes the key's validation, every address points at a pod and port the chart creates, and the
 * manifests have what a working deployment needs (StatefulSets with stable names and node ids, the FUSE DaemonSet
 * with Bidirectional propagation, the token Secret, the bootstrap Job). No cluster is involved.
 */
class HelmChartTest {
  private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
  private static final Path CHART = ROOT.resolve("deploy/helm/catena");
  private static final Path HA_VALUES = ROOT.resolve("deploy/helm/examples/values-ha.yaml");
  private static final String NS = "storage-ns";
  private static final String RELEASE = "catena";
  private static final YAMLMapper YAML = new YAMLMapper();
  private static final CommandLine LAUNCHER = new CommandLine(new Main());
  private static final Pattern VAR = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");
  private static final Pattern POD_ADDRESS = Pattern.compile("tcp://([a-z0-9-]+)\\.([a-z0-9-]+)\\.([a-z0-9-]+)"
      + "\\.svc\\.cluster\\.local:(\\d+)");

  // --- rendering ---------------------------------------------------------------------------------------------

  /**
   * The chart as rendered: a copy without Chart.yaml's kubeVersion, because helm-java's template command offers no
   * --kube-version and renders for Kubernetes 1.20, which the chart's constraint (1.28 or newer) refuses; and with
   * the hook annotations renamed (helm.sh/hook... to test.catena.io/hook...), because it leaves hooks out of its
   * output and the Secret and the bootstrap Job are hooks.
   */
  private static Path renderable;
  private static final String HOOK = "test.catena.io/hook";

  @BeforeAll
  static void copyChart(@TempDir Path dir) throws Exception {
    renderable = dir.resolve("catena");
    try (var files = Files.walk(CHART)) {
      for (Path p : files.toList()) {
        Path to = renderable.resolve(CHART.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(to);
        } else {
          Files.writeString(to, Files.readString(p).replace("helm.sh/hook", HOOK));
        }
      }
    }
    Path chartYaml = renderable.resolve("Chart.yaml");
    String text = Files.readString(chartYaml);
    assertTrue(text.contains("\nkubeVersion: \">=1.28.0-0\"\n"), "the chart states the Kubernetes it needs");
    Files.writeString(chartYaml, text.replace("\nkubeVersion: \">=1.28.0-0\"\n", "\n"));
  }

  private static Manifests render(Path valuesFile, Map<String, Object> sets) throws Exception {
    TemplateCommand t = new Helm(renderable).template().withName(RELEASE).withNamespace(NS);
    if (valuesFile != null) {
      t = t.withValuesFile(valuesFile);
    }
    for (Map.Entry<String, Object> e : sets.entrySet()) {
      t = t.set(e.getKey(), e.getValue());
    }
    String text = t.call();
    List<JsonNode> docs = new ArrayList<>();
    try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(text)) {
      while (it.hasNext()) {
        JsonNode d = it.next();
        if (d != null && !d.isNull() && !d.isEmpty()) {
          docs.add(d);
        }
      }
    }
    Manifests m = new Manifests(docs);
    checkEverything(m);
    return m;
  }

  private static void assertRefused(Map<String, Object> sets, String expected) {
    String message = renderError(sets);
    assertTrue(message.contains(expected), "rendering " + sets + " fails with '" + expected + "': " + message);
  }

  private static String renderError(Map<String, Object> sets) {
    TemplateCommand t = new Helm(renderable).template().withName(RELEASE).withNamespace(NS);
    for (Map.Entry<String, Object> e : sets.entrySet()) {
      t = t.set(e.getKey(), e.getValue());
    }
    TemplateCommand cmd = t;
    return assertThrows(Exception.class, cmd::call).getMessage();
  }

  /** The rendered documents, by kind and name. */
  record Manifests(List<JsonNode> docs) {
    List<JsonNode> ofKind(String kind) {
      return docs.stream().filter(d -> d.path("kind").asText().equals(kind)).toList();
    }

    JsonNode get(String kind, String name) {
      return docs.stream().filter(d -> d.path("kind").asText().equals(kind)
          && d.path("metadata").path("name").asText().equals(name)).findFirst()
          .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in " + names()));
    }

    boolean has(String kind, String name) {
      return docs.stream().anyMatch(d -> d.path("kind").asText().equals(kind)
          && d.path("metadata").path("name").asText().equals(name));
    }

    Set<String> names() {
      return docs.stream().map(d -> d.path("kind").asText() + "/" + d.path("metadata").path("name").asText())
          .collect(Collectors.toCollection(java.util.TreeSet::new));
    }
  }

  // --- the tests -----------------------------------------------------------------------------------------------

  @Test
  void helmLint_findsNothingWrong() {
    LintResult r = new Helm(CHART).lint().strict().call();
    assertFalse(r.isFailed(), r.getMessages()::toString);
    assertTrue(r.getMessages().stream().noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]")),
        r.getMessages()::toString);
  }

  @Test
  void defaults_oneControlPod_threeStorageNodesOnVolumes_mountsOnEveryNode_andTheBootstrap() throws Exception {
    Manifests m = render(null, Map.of());
    assertEquals(Set.of("DaemonSet/catena-mount", "Job/catena-bootstrap", "PodDisruptionBudget/catena-storage",
        "Secret/catena-admin-token", "Service/catena-control", "Service/catena-storage",
        "StatefulSet/catena-control", "StatefulSet/catena-storage"), m.names());

    JsonNode control = m.get("StatefulSet", "catena-control");
    assertEquals(1, control.at("/spec/replicas").asInt());
    assertEquals("data", control.at("/spec/volumeClaimTemplates/0/metadata/name").asText());
    JsonNode init = control.at("/spec/template/spec/initContainers/0");
    assertEquals(List.of("admin", "init-cluster", "--kv", "rocksdb:///data/kv", "--cluster-id", "catena",
        "--admin-token-from", "/etc/catena/token/token", "--exists-ok"), strings(init.path("args")));

    JsonNode storage = m.get("StatefulSet", "catena-storage");
    assertEquals(3, storage.at("/spec/replicas").asInt());
    assertEquals(10001, storage.at("/spec/ordinals/start").asInt());
    assertEquals("OnDelete", storage.at("/spec/updateStrategy/type").asText());
    assertEquals("disk0", storage.at("/spec/volumeClaimTemplates/0/metadata/name").asText());
    assertEquals("kubernetes.io/hostname", storage.at("/spec/template/spec/affinity/podAntiAffinity"
        + "/requiredDuringSchedulingIgnoredDuringExecution/0/topologyKey").asText());
    assertEquals("tcp://catena-control-0.catena-control.storage-ns.svc.cluster.local:8000",
        env(container(storage, "storage")).get("CATENA_MGMTD_CLIENT_ADDRESSES"));

    JsonNode secret = m.get("Secret", "catena-admin-token");
    assertEquals("pre-install", secret.at("/metadata/annotations/" + HOOK.replace("/", "~1")).asText(),
        "made once, before the pods; never rendered again by an upgrade");
    String token = new String(Base64.getDecoder().decode(secret.at("/data/token").asText()), StandardCharsets.UTF_8);
    assertTrue(token.matches("[A-Za-z0-9]{64}"), "64 random characters");

    assertTrue(m.ofKind("Deployment").isEmpty(), "the monitor is off by default");
    for (JsonNode d : m.docs()) {
      assertTrue(d.at("/spec/template/spec/hostNetwork").isMissingNode(), "no pod on the host network");
    }
  }

  @Test
  void haExample_twoMgmtdAndTwoMetaOnEtcd_sixStorageNodesWithTwoDisks() throws Exception {
    Manifests m = render(HA_VALUES, Map.of());
    assertFalse(m.has("StatefulSet", "catena-control"));
    JsonNode mgmtd = m.get("StatefulSet", "catena-mgmtd");
    assertEquals(2, mgmtd.at("/spec/replicas").asInt());
    assertEquals(1, mgmtd.at("/spec/ordinals/start").asInt());
    JsonNode meta = m.get("StatefulSet", "catena-meta");
    assertEquals(100, meta.at("/spec/ordinals/start").asInt());
    String kv = env(container(meta, "meta")).get("CATENA_KV_ENGINE_URL");
    assertTrue(kv.startsWith("etcd://etcd-0.etcd-headless.etcd.svc.cluster.local:2379,"), kv);
    assertEquals("catena-etcd", container(meta, "meta").at("/env").findValue("secretKeyRef").path("name").asText());
    List<String> init = strings(mgmtd.at("/spec/template/spec/initContainers/0/args"));
    assertEquals(List.of("admin", "init-cluster", "--kv", kv), init.subList(0, 4));
    assertEquals("tcp://catena-mgmtd-1.catena-mgmtd.storage-ns.svc.cluster.local:8000,"
        + "tcp://catena-mgmtd-2.catena-mgmtd.storage-ns.svc.cluster.local:8000",
        env(container(meta, "meta")).get("CATENA_MGMTD_CLIENT_ADDRESSES"));
    assertEquals("epoll", env(container(meta, "meta")).get("CATENA_RPC_TRANSPORT"), "global config");
    assertEquals("10m", env(container(meta, "meta")).get("CATENA_META_GC_DELAY"), "the role's config");

    JsonNode storage = m.get("StatefulSet", "catena-storage");
    assertEquals(6, storage.at("/spec/replicas").asInt());
    assertEquals("/data/disk0,/data/disk1", env(container(storage, "storage")).get("CATENA_STORAGE_DISKS"));
    assertEquals("local-nvme", storage.at("/spec/volumeClaimTemplates/1/spec/storageClassName").asText());
    assertEquals("batch", env(container(storage, "storage")).get("CATENA_STORAGE_FSYNC"));
    JsonNode mount = container(m.get("DaemonSet", "catena-mount"), "mount");
    assertEquals("64MiB", env(mount).get("CATENA_CLIENT_WRITE_BEHIND"));
    for (String c : List.of("mgmtd", "meta", "storage")) {
      assertTrue(m.has("PodDisruptionBudget", "catena-" + c), c);
    }
  }

  @Test
  void hostPathDisks_monitorOn_ownMountDirectory_andUserConfig(@TempDir Path dir) throws Exception {
    Path values = dir.resolve("values.yaml");
    Files.writeString(values, """
        storage:
          replicas: 4
          nodeIdBegin: 20001
          disks: {type: hostPath, hostPaths: [/srv/nvme0, /srv/nvme1]}
          config: {rpc.max_inflight_per_connection: 1000000}
        bootstrap: {targetsPerDisk: 3, replication: 2}
        monitor: {enabled: true}
        mount:
          hostDir: /var/lib/catena-fuse/
          name: data
          config: {fuse.attr_timeout: 5s, rpc.tcp_nodelay: false}
        config: {rpc.tcp_nodelay: true}
        """);
    Manifests m = render(values, Map.of());
    JsonNode storage = m.get("StatefulSet", "catena-storage");
    assertTrue(storage.at("/spec/volumeClaimTemplates").isMissingNode());
    JsonNode pod = storage.at("/spec/template/spec");
    assertEquals("/srv/nvme1", hostPathOf(pod, "disk1"));
    assertEquals("$(POD_NAME)", container(storage, "storage").at("/volumeMounts/0/subPathExpr").asText(),
        "each pod keeps its data in its own directory of the node's disk");
    assertEquals(0, pod.at("/securityContext/runAsUser").asInt(), "hostPath disks belong to root");
    assertEquals("OnRootMismatch", pod.at("/securityContext/fsGroupChangePolicy").asText());
    assertEquals("1000000", env(container(storage, "storage")).get("CATENA_RPC_MAX_INFLIGHT_PER_CONNECTION"),
        "a number from the values is written as an integer, not 1e+06");

    JsonNode mount = m.get("DaemonSet", "catena-mount");
    assertEquals("mount", strings(container(mount, "mount").path("args")).getFirst());
    assertEquals("/var/lib/catena-fuse/data", strings(container(mount, "mount").path("args")).get(1));
    assertEquals("5s", env(container(mount, "mount")).get("CATENA_FUSE_ATTR_TIMEOUT"));
    assertEquals("false", env(container(mount, "mount")).get("CATENA_RPC_TCP_NODELAY"), "the role's false wins");
    assertEquals("true", env(container(storage, "storage")).get("CATENA_RPC_TCP_NODELAY"), "the global value");

    JsonNode job = m.get("Job", "catena-bootstrap");
    List<String> placement = strings(job.at("/spec/template/spec/initContainers/0/args"));
    assertEquals("4", arg(placement, "--nodes"));
    assertEquals("2", arg(placement, "--disks-per-node"));
    assertEquals("20001", arg(placement, "--node-id-begin"));
    assertEquals("2", arg(placement, "--replication"));

    JsonNode monitor = m.get("Deployment", "catena-monitor");
    List<String> args = strings(container(monitor, "monitor").path("args"));
    assertEquals("monitor", args.getFirst());
    assertEquals("0.0.0.0:9400", arg(args, "--listen"));
    assertEquals(9400, m.get("Service", "catena-monitor").at("/spec/ports/0/port").asInt());
  }

  @Test
  void mistakes_areRefusedWhenRendering_withWhatToDo() {
    assertRefused(Map.of("mode", "ha"), "mode ha needs kv.engineUrl");
    assertRefused(Map.of("mode", "cluster"), "mode must be control or ha");
    assertRefused(Map.of("mgmtd.config.mgmtd\\.node_id", "5", "mode", "ha", "kv.engineUrl", "etcd://e:2379/c"),
        "config key mgmtd.node_id is set by the chart itself");
    assertRefused(Map.of("config.rpc\\.auth_token", "secret"), "rpc.auth_token is set by the chart");
    assertRefused(Map.of("storage.replicas", "4"), "16 targets, not a multiple of bootstrap.replication (3)");
    assertRefused(Map.of("storage.replicas", "2"), "needs at least as many storage pods");
    assertRefused(Map.of("mount.hostDir", "/"), "mount.hostDir must be");
    assertRefused(Map.of("kv.engineUrl", "rocksdb:///x"), "must be an etcd://");
  }

  // --- what every rendering must satisfy -------------------------------------------------------------------------

  private static void checkEverything(Manifests m) {
    Map<String, JsonNode> services = new HashMap<>();
    for (JsonNode s : m.ofKind("Service")) {
      services.put(s.at("/metadata/name").asText(), s);
    }
    Map<String, JsonNode> statefulSets = new HashMap<>();
    for (JsonNode s : m.ofKind("StatefulSet")) {
      statefulSets.put(s.at("/metadata/name").asText(), s);
      JsonNode svc = services.get(s.at("/spec/serviceName").asText());
      assertNotNull(svc, "StatefulSet " + s.at("/metadata/name") + " has its headless Service");
      assertEquals("None", svc.at("/spec/clusterIP").asText());
      assertTrue(svc.at("/spec/publishNotReadyAddresses").asBoolean(), "peers resolve each other while starting");
      assertSelects(svc.at("/spec/selector"), s.at("/spec/template/metadata/labels"));
    }
    for (JsonNode d : m.docs()) {
      JsonNode pod = d.at("/spec/template/spec");
      if (pod.isMissingNode()) {
        continue;
      }
      String where = d.at("/kind").asText() + " " + d.at("/metadata/name").asText();
      assertFalse(pod.path("enableServiceLinks").asBoolean(true), where + ": a Service named RELEASE-x would "
          + "otherwise inject CATENA_X_* variables");
      assertSelects(d.at("/spec/selector/matchLabels"), d.at("/spec/template/metadata/labels"));
      Set<String> volumes = new HashSet<>();
      pod.path("volumes").forEach(v -> volumes.add(v.path("name").asText()));
      d.at("/spec/volumeClaimTemplates").forEach(v -> volumes.add(v.at("/metadata/name").asText()));
      List<JsonNode> containers = new ArrayList<>();
      pod.path("initContainers").forEach(containers::add);
      pod.path("containers").forEach(containers::add);
      for (JsonNode c : containers) {
        String cw = where + " container " + c.path("name").asText();
        assertEquals("localhost/catena:0.1.0-SNAPSHOT", c.path("image").asText(), cw);
        c.path("volumeMounts").forEach(vm -> assertTrue(volumes.contains(vm.path("name").asText()),
            cw + " mounts volume " + vm.path("name") + " which the pod declares"));
        checkContainer(d, c, cw, statefulSets, services);
        boolean privileged = c.at("/securityContext/privileged").asBoolean(false);
        assertEquals(c.path("name").asText().equals("mount"), privileged, cw + ": only the FUSE mount is "
            + "privileged");
      }
    }
    for (JsonNode ds : m.ofKind("DaemonSet")) {
      checkFuseDaemonSet(ds);
    }
    for (JsonNode job : m.ofKind("Job")) {
      checkBootstrap(job, statefulSets);
    }
  }

  private static void assertSelects(JsonNode selector, JsonNode labels) {
    selector.properties().forEach(e -> assertEquals(e.getValue().asText(), labels.path(e.getKey()).asText(),
        "selector " + selector + " matches " + labels));
  }

  /**
   * A container's arguments parse as a launcher command; its CATENA_* variables are keys of the role it runs and
   * their values pass validation; $(VAR) references resolve; addresses name pods and ports that exist.
   */
  private static void checkContainer(JsonNode owner, JsonNode c, String where, Map<String, JsonNode> statefulSets,
      Map<String, JsonNode> services) {
    Map<String, String> samples = new LinkedHashMap<>();
    Set<String> names = new HashSet<>();
    for (JsonNode e : c.path("env")) {
      String name = e.path("name").asText();
      assertTrue(names.add(name), where + ": " + name + " is set once");
      if (e.has("value")) {
        String v = e.path("value").asText();
        Matcher vars = VAR.matcher(v);
        while (vars.find()) {
          assertTrue(samples.containsKey(vars.group(1)), where + ": " + name + " refers to $(" + vars.group(1)
              + "), set before it");
        }
        samples.put(name, substitute(v, samples));
      } else {
        String field = e.at("/valueFrom/fieldRef/fieldPath").asText();
        if (field.equals("metadata.name")) {
          samples.put(name, podName(owner, 0));
        } else if (field.equals("metadata.labels['apps.kubernetes.io/pod-index']")) {
          assertTrue(owner.path("kind").asText().equals("StatefulSet"), where + ": pod-index is a StatefulSet's");
          int first = owner.at("/spec/ordinals/start").asInt(0);
          int last = first + owner.at("/spec/replicas").asInt() - 1;
          samples.put(name, Integer.toString(first));
          samples.put(name + "#last", Integer.toString(last));
        } else {
          assertTrue(e.at("/valueFrom/secretKeyRef").isObject(), where + ": " + name + " comes from a Secret");
          samples.put(name, "secret");
        }
      }
    }
    List<String> args = new ArrayList<>();
    for (JsonNode a : c.path("args")) {
      Matcher vars = VAR.matcher(a.asText());
      while (vars.find()) {
        assertTrue(samples.containsKey(vars.group(1)), where + ": argument refers to $(" + vars.group(1) + ")");
      }
      args.add(substitute(a.asText(), samples));
    }
    assertFalse(args.isEmpty(), where + ": the image's argument names the role");
    assertTrue(c.path("command").isMissingNode(), where + ": the image's entrypoint runs the launcher");

    String role = args.getFirst();
    if (!LAUNCHER.getSubcommands().containsKey(role) && role.equals("monitor")) {
      // The monitor role is built on another branch; until it is merged only its shape is checked here.
      return;
    }
    assertTrue(LAUNCHER.getSubcommands().containsKey(role), where + ": '" + role + "' is a launcher command ("
        + LAUNCHER.getSubcommands().keySet() + ")");
    try {
      LAUNCHER.parseArgs(args.toArray(String[]::new));
    } catch (CommandLine.ParameterException e) {
      fail(where + ": the launcher refuses " + args + ": " + e.getMessage());
    }

    ConfigSchema schema = role.equals("admin") ? adminSchema() : Roles.schema(null, role);
    Map<String, Key<?>> byEnv = new HashMap<>();
    schema.keys().forEach(k -> byEnv.put(k.envName(), k));
    for (Map.Entry<String, String> e : samples.entrySet()) {
      if (!e.getKey().startsWith("CATENA_")) {
        continue;
      }
      String envName = e.getKey().replace("#last", "");
      Key<?> key = byEnv.get(envName);
      assertNotNull(key, where + ": " + envName + " is a key of role " + role + " (catena config defaults " + role
          + ")");
      if (!e.getValue().equals("secret")) {
        try {
          key.parseAndValidate(e.getValue());
        } catch (RuntimeException bad) {
          fail(where + ": " + envName + "=" + e.getValue() + " is refused by " + key.name() + ": " + bad.getMessage());
        }
      }
      if (envName.endsWith("_LISTEN") || envName.equals("CATENA_MGMTD_CLIENT_ADDRESSES")) {
        for (String address : e.getValue().split(",")) {
          checkPodAddress(address, where + ": " + envName, statefulSets, services,
              envName.endsWith("_LISTEN") ? owner : null);
        }
      }
    }
    String tokenFile = samples.getOrDefault("CATENA_RPC_AUTH_TOKEN_FILE",
        args.contains("--token-file") ? arg(args, "--token-file")
            : args.contains("--admin-token-from") ? arg(args, "--admin-token-from") : null);
    if (tokenFile != null) {
      String dir = Path.of(tokenFile).getParent().toString();
      assertTrue(java.util.stream.StreamSupport.stream(c.path("volumeMounts").spliterator(), false)
          .anyMatch(vm -> vm.path("mountPath").asText().equals(dir) && vm.path("name").asText().equals("token")),
          where + ": the token file " + tokenFile + " is the Secret's volume");
    }
  }

  /** An address is POD.SERVICE.NAMESPACE.svc.cluster.local:PORT of a pod and container port the chart makes. */
  private static void checkPodAddress(String address, String where, Map<String, JsonNode> statefulSets,
      Map<String, JsonNode> services, JsonNode self) {
    Matcher a = POD_ADDRESS.matcher(address);
    assertTrue(a.matches(), where + ": " + address + " is a pod's stable name");
    assertEquals(NS, a.group(3), where);
    JsonNode svc = services.get(a.group(2));
    assertNotNull(svc, where + ": service " + a.group(2));
    JsonNode sts = statefulSets.values().stream()
        .filter(s -> s.at("/spec/serviceName").asText().equals(a.group(2))).findFirst()
        .orElseThrow(() -> new AssertionError(where + ": no StatefulSet behind " + a.group(2)));
    if (self != null) {
      assertEquals(self.at("/metadata/name").asText(), sts.at("/metadata/name").asText(), where + ": its own name");
    }
    String base = sts.at("/metadata/name").asText() + "-";
    assertTrue(a.group(1).startsWith(base), where + ": " + a.group(1) + " is a pod of " + base);
    int ordinal = Integer.parseInt(a.group(1).substring(base.length()));
    int first = sts.at("/spec/ordinals/start").asInt(0);
    assertTrue(ordinal >= first && ordinal < first + sts.at("/spec/replicas").asInt(), where + ": " + a.group(1)
        + " exists");
    int port = Integer.parseInt(a.group(4));
    JsonNode rpc = sts.at("/spec/template/spec/containers/0/ports/0");
    assertEquals(port, rpc.path("containerPort").asInt(), where + ": the container's port");
    assertEquals(port, svc.at("/spec/ports/0/port").asInt(), where + ": the service's port");
  }

  private static void checkFuseDaemonSet(JsonNode ds) {
    JsonNode pod = ds.at("/spec/template/spec");
    JsonNode c = container(ds, "mount");
    assertTrue(c.at("/securityContext/privileged").asBoolean(), "mounting needs CAP_SYS_ADMIN");
    assertEquals(0, c.at("/securityContext/runAsUser").asInt());
    List<String> args = strings(c.path("args"));
    assertEquals("mount", args.getFirst());
    assertTrue(args.contains("--clear-stale") && args.contains("--mkdir"), args::toString);
    JsonNode shared = null;
    JsonNode fuse = null;
    for (JsonNode vm : c.path("volumeMounts")) {
      if (vm.path("mountPropagation").asText().equals("Bidirectional")) {
        shared = vm;
      }
      if (vm.path("mountPath").asText().equals("/dev/fuse")) {
        fuse = vm;
      }
    }
    assertNotNull(shared, "the mount propagates to the node");
    assertNotNull(fuse, "/dev/fuse");
    assertEquals(Path.of(shared.path("mountPath").asText()), Path.of(args.get(1)).getParent(),
        "the mount point lies in the shared node directory");
    assertEquals(shared.path("mountPath").asText(), hostPathOf(pod, shared.path("name").asText()),
        "the node directory is seen at the same path inside the pod");
    assertEquals("CharDevice", volume(pod, fuse.path("name").asText()).at("/hostPath/type").asText());
  }

  private static void checkBootstrap(JsonNode job, Map<String, JsonNode> statefulSets) {
    assertEquals("post-install", job.at("/metadata/annotations/" + HOOK.replace("/", "~1")).asText());
    JsonNode pod = job.at("/spec/template/spec");
    assertEquals("OnFailure", pod.path("restartPolicy").asText(), "failed steps are retried in place");
    List<String> steps = new ArrayList<>();
    pod.path("initContainers").forEach(c -> steps.add(strings(c.path("args")).get(1)));
    assertEquals(List.of("placement", "create-targets", "upload-chains", "upload-chain-table"), steps);
    List<String> health = strings(pod.at("/containers/0/args"));
    assertEquals(List.of("admin", "health"), health.subList(0, 2));
    assertTrue(health.contains("--wait"));
    JsonNode storage = statefulSets.get(RELEASE + "-storage");
    List<String> placement = strings(pod.at("/initContainers/0/args"));
    assertEquals(storage.at("/spec/replicas").asText(), arg(placement, "--nodes"));
    assertEquals(storage.at("/spec/ordinals/start").asText(), arg(placement, "--node-id-begin"));
    int disks = env(container(storage, "storage")).get("CATENA_STORAGE_DISKS").split(",").length;
    assertEquals(Integer.toString(disks), arg(placement, "--disks-per-node"));
    String mgmtd = env(container(storage, "storage")).get("CATENA_MGMTD_CLIENT_ADDRESSES");
    for (JsonNode c : pod.path("initContainers")) {
      List<String> args = strings(c.path("args"));
      if (!args.get(1).equals("placement")) {
        assertEquals(mgmtd, arg(args, "--mgmtd"), "the admin steps talk to the mgmtd the servers use");
        assertEquals("/work/placement", arg(args, "--placement"));
      }
    }
  }

  // --- helpers -------------------------------------------------------------------------------------------------

  private static ConfigSchema adminSchema() {
    try {
      var f = Class.forName("io.catena.admin.ConnectionOptions").getDeclaredField("SCHEMA");
      f.setAccessible(true);
      return (ConfigSchema) f.get(null);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("the admin commands' configuration schema", e);
    }
  }

  private static String podName(JsonNode owner, int index) {
    return owner.at("/metadata/name").asText() + "-" + (owner.at("/spec/ordinals/start").asInt(0) + index);
  }

  private static String substitute(String text, Map<String, String> values) {
    return VAR.matcher(text).replaceAll(r -> Matcher.quoteReplacement(values.getOrDefault(r.group(1), r.group())));
  }

  private static JsonNode container(JsonNode owner, String name) {
    for (JsonNode c : owner.at("/spec/template/spec/containers")) {
      if (c.path("name").asText().equals(name)) {
        return c;
      }
    }
    throw new AssertionError("no container " + name + " in " + owner.at("/metadata/name"));
  }

  private static JsonNode volume(JsonNode pod, String name) {
    for (JsonNode v : pod.path("volumes")) {
      if (v.path("name").asText().equals(name)) {
        return v;
      }
    }
    throw new AssertionError("no volume " + name);
  }

  private static String hostPathOf(JsonNode pod, String volume) {
    return volume(pod, volume).at("/hostPath/path").asText();
  }

  private static Map<String, String> env(JsonNode c) {
    Map<String, String> m = new LinkedHashMap<>();
    c.path("env").forEach(e -> m.put(e.path("name").asText(), e.path("value").asText(null)));
    return m;
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static String arg(List<String> args, String option) {
    int i = args.indexOf(option);
    assertTrue(i >= 0 && i + 1 < args.size(), option + " in " + args);
    return args.get(i + 1);
  }
}
