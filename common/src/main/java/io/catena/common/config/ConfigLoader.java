package io.catena.common.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseResult;

/**
 * Builds a {@link Config} from, in rising precedence: defaults, a TOML file, environment variables
 * ({@link Key#envName()}), and command-line overrides ({@code key=value}). Every value is validated; the first
 * problem is reported as a {@link ConfigException} naming where it came from. Stateless.
 */
public final class ConfigLoader {
  private ConfigLoader() {}

  public static Config load(ConfigSchema schema, Path tomlFile, Map<String, String> env,
      Map<String, String> overrides) {
    Config c = Config.defaults(schema);
    Map<String, Config.Entry> values = new LinkedHashMap<>();
    for (Key<?> k : schema.keys()) {
      values.put(k.name(), new Config.Entry(c.get(k), "default"));
    }
    if (tomlFile != null) {
      String text;
      try {
        text = Files.readString(tomlFile);
      } catch (IOException e) {
        throw new ConfigException(tomlFile + ": cannot read: " + e.getMessage());
      }
      values.putAll(parseToml(schema, text, tomlFile.toString()));
    }
    for (Key<?> k : schema.keys()) {
      String v = env.get(k.envName());
      if (v != null) {
        String src = "env " + k.envName();
        values.put(k.name(), new Config.Entry(parse(k, v, src), src));
      }
    }
    for (Map.Entry<String, String> o : overrides.entrySet()) {
      Key<?> k = schema.key(o.getKey()).orElseThrow(() -> ConfigException.unknownKey("override", o.getKey(), schema));
      values.put(k.name(), new Config.Entry(parse(k, o.getValue(), "override"), "override"));
    }
    return new Config(schema, values);
  }

  /** Parses a TOML text (e.g. a config version distributed by mgmtd) into validated entries. */
  public static Map<String, Config.Entry> parseToml(ConfigSchema schema, String text, String source) {
    TomlParseResult toml = Toml.parse(text);
    if (toml.hasErrors()) {
      throw new ConfigException(source + ": not valid TOML: " + toml.errors().get(0));
    }
    Map<String, Config.Entry> out = new LinkedHashMap<>();
    for (String dotted : toml.dottedKeySet()) {
      Key<?> k = schema.key(dotted).orElseThrow(() -> ConfigException.unknownKey(source, dotted, schema));
      Object raw = toml.get(dotted);
      out.put(k.name(), new Config.Entry(parse(k, asText(raw), source), source));
    }
    return out;
  }

  /** Parses TOML text into plain key/value strings, e.g. for {@link Config#withUpdates}. */
  public static Map<String, String> tomlToStrings(ConfigSchema schema, String text, String source) {
    TomlParseResult toml = Toml.parse(text);
    if (toml.hasErrors()) {
      throw new ConfigException(source + ": not valid TOML: " + toml.errors().get(0));
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (String dotted : toml.dottedKeySet()) {
      Key<?> k = schema.key(dotted).orElseThrow(() -> ConfigException.unknownKey(source, dotted, schema));
      out.put(k.name(), asText(toml.get(dotted)));
    }
    return out;
  }

  static Object parse(Key<?> k, String text, String source) {
    try {
      return k.parseAndValidate(text);
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new ConfigException(source + ": key " + k.name() + ": bad value '" + text + "': " + e.getMessage()
          + "; allowed: " + k.allowed());
    }
  }

  private static String asText(Object raw) {
    if (raw instanceof TomlArray arr) {
      List<String> items = new ArrayList<>();
      for (int i = 0; i < arr.size(); i++) {
        items.add(String.valueOf(arr.get(i)));
      }
      return String.join(",", items);
    }
    return String.valueOf(raw);
  }
}
