package io.catena.dist;

import io.catena.common.config.Config;
import io.catena.common.config.ConfigLoader;
import io.catena.rpc.RpcConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The configuration flags every role takes: a TOML file and {@code --set key=value} overrides. */
final class ConfigOptions {
  @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "TOML configuration file")
  Path file;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override one key (repeatable); beats the file "
      + "and CATENA_* environment variables")
  Map<String, String> sets = new LinkedHashMap<>();

  @Option(names = "--token-file", paramLabel = "FILE", description = "file holding this process's token (sets "
      + "rpc.auth_token_file); every request to the cluster carries it")
  Path tokenFile;

  /** Loads the role's configuration; {@code extra} (from role-specific flags) beats everything else. */
  Config load(CommandLine cl, String role, Map<String, String> extra) {
    Map<String, String> overrides = new LinkedHashMap<>(sets);
    if (tokenFile != null) {
      overrides.put(RpcConfig.AUTH_TOKEN_FILE.name(), tokenFile.toAbsolutePath().toString());
    }
    overrides.putAll(extra);
    return ConfigLoader.load(Roles.schema(cl, role), file, System.getenv(), overrides);
  }
}
