package io.catena.common.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  enum Mode { FAST, SAFE }

  /** A key holder shaped like a module's: public static final keys. */
  static final class SampleConfig {
    public static final Key<Duration> HEARTBEAT =
        Key.duration("sample.heartbeat_interval").defaultValue("10s").min("100ms").hotUpdatable().doc("how often");
    public static final Key<DataSize> CHUNK =
        Key.dataSize("sample.chunk_size").defaultValue("1MiB").powerOfTwo().range("64KiB", "64MiB");
    public static final Key<Integer> THREADS = Key.integer("sample.threads").defaultValue("4").range("1", "256");
    public static final Key<Mode> MODE = Key.enumeration("sample.mode", Mode.class).defaultValue("safe");
    public static final Key<List<String>> PEERS = Key.stringList("sample.net.peers").defaultValue("a,b");
    public static final Key<Boolean> ENABLED = Key.bool("sample.enabled").defaultValue("true");
  }

  private final ConfigSchema schema = ConfigSchema.fromHolders(SampleConfig.class);

  @Test
  void defaultsApplyWhenNothingIsGiven() {
    Config c = ConfigLoader.load(schema, null, Map.of(), Map.of());
    assertEquals(Duration.ofSeconds(10), c.get(SampleConfig.HEARTBEAT));
    assertEquals(DataSize.ofMiB(1), c.get(SampleConfig.CHUNK));
    assertEquals(Mode.SAFE, c.get(SampleConfig.MODE));
    assertEquals(List.of("a", "b"), c.get(SampleConfig.PEERS));
    assertEquals("default", c.source(SampleConfig.THREADS));
  }

  @Test
  void fileThenEnvThenOverrideTakePrecedenceInThatOrder(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("sample.toml");
    Files.writeString(f, """
        [sample]
        heartbeat_interval = "2s"
        chunk_size = "4MiB"
        threads = 8
        [sample.net]
        peers = ["x", "y", "z"]
        """);
    Config c = ConfigLoader.load(schema, f, Map.of("CATENA_SAMPLE_THREADS", "16", "CATENA_SAMPLE_MODE", "FAST"),
        Map.of("sample.chunk_size", "64KiB"));
    assertEquals(Duration.ofSeconds(2), c.get(SampleConfig.HEARTBEAT));
    assertEquals(f.toString(), c.source(SampleConfig.HEARTBEAT));
    assertEquals(16, c.get(SampleConfig.THREADS));
    assertEquals("env CATENA_SAMPLE_THREADS", c.source(SampleConfig.THREADS));
    assertEquals(Mode.FAST, c.get(SampleConfig.MODE));
    assertEquals(DataSize.ofKiB(64), c.get(SampleConfig.CHUNK));
    assertEquals("override", c.source(SampleConfig.CHUNK));
    assertEquals(List.of("x", "y", "z"), c.get(SampleConfig.PEERS));
  }

  @Test
  void badValueNamesFileKeyValueAndWhatIsAllowed(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("bad.toml");
    Files.writeString(f, "[sample]\nchunk_size = \"3MiB\"\n");
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(schema, f, Map.of(), Map.of()));
    String m = e.getMessage();
    assertTrue(m.contains(f.toString()), m);
    assertTrue(m.contains("sample.chunk_size"), m);
    assertTrue(m.contains("3MiB"), m);
    assertTrue(m.contains("power of two"), m);
  }

  @Test
  void valueBelowMinimumIsRejected() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(schema, null, Map.of("CATENA_SAMPLE_HEARTBEAT_INTERVAL", "10ms"), Map.of()));
    assertTrue(e.getMessage().contains("env CATENA_SAMPLE_HEARTBEAT_INTERVAL"), e.getMessage());
    assertTrue(e.getMessage().contains(">= 100ms"), e.getMessage());
  }

  @Test
  void unitlessDurationIsRejectedWithTheAcceptedForms() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(schema, null, Map.of(), Map.of("sample.heartbeat_interval", "10")));
    assertTrue(e.getMessage().contains("unit"), e.getMessage());
  }

  @Test
  void unknownKeyInFileIsAnErrorWithASuggestion(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("typo.toml");
    Files.writeString(f, "[sample]\nthreds = 3\n");
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(schema, f, Map.of(), Map.of()));
    assertTrue(e.getMessage().contains("unknown key sample.threds"), e.getMessage());
    assertTrue(e.getMessage().contains("did you mean sample.threads"), e.getMessage());
  }

  @Test
  void malformedTomlIsReportedWithTheFile(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("broken.toml");
    Files.writeString(f, "[sample\nthreads = \n");
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(schema, f, Map.of(), Map.of()));
    assertTrue(e.status().message().startsWith(f.toString()), e.getMessage());
  }

  @Test
  void hotUpdateChangesOnlyHotKeys() {
    Config c = Config.defaults(schema);
    Config updated = c.withUpdates(Map.of("sample.heartbeat_interval", "1s"), "mgmtd config v2", true);
    assertEquals(Duration.ofSeconds(1), updated.get(SampleConfig.HEARTBEAT));
    assertEquals(Duration.ofSeconds(10), c.get(SampleConfig.HEARTBEAT), "the original stays unchanged");
    ConfigException e = assertThrows(ConfigException.class,
        () -> c.withUpdates(Map.of("sample.threads", "2"), "mgmtd config v2", true));
    assertTrue(e.getMessage().contains("cannot change while the process runs"), e.getMessage());
  }

  @Test
  void defaultsDocumentIsValidTomlThatLoadsBackToTheDefaults(@TempDir Path dir) throws Exception {
    String toml = schema.defaultsAsToml();
    assertTrue(toml.contains("CATENA_SAMPLE_HEARTBEAT_INTERVAL"), toml);
    assertTrue(toml.contains("hot-updatable"), toml);
    Path f = dir.resolve("defaults.toml");
    Files.writeString(f, toml);
    Config c = ConfigLoader.load(schema, f, Map.of(), Map.of());
    for (Key<?> k : schema.keys()) {
      assertEquals(k.defaultValue(), c.get(k), k.name());
    }
    assertFalse(c.describe().isEmpty());
  }

  @Test
  void duplicateKeysAndCollidingEnvNamesAreRefused() {
    Key<Integer> a = Key.integer("x.a_b").defaultValue("1");
    Key<Integer> b = Key.integer("x.a.b").defaultValue("1");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ConfigSchema.of(List.of(a, b)));
    assertTrue(e.getMessage().contains("CATENA_X_A_B"), e.getMessage());
  }
}
