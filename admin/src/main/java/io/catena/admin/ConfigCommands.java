package io.catena.admin;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.NodeType;
import io.catena.mgmtd.VersionedConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** set-config / get-config: the versioned TOML config texts mgmtd distributes to each node type. */
final class ConfigCommands {
  private ConfigCommands() {}

  @Command(name = "set-config", description = {"Store a new config version for a node type; nodes of that type "
      + "receive it with their next heartbeat and apply its hot-updatable keys.",
      "mgmtd checks the text (TOML, and keys and values where it knows the type's schema); storing the latest text "
          + "again keeps its version."}, footer = ExitCodes.FOOTER)
  static final class SetConfig extends AdminCall.Remote {
    @Option(names = "--type", paramLabel = "TYPE", required = true,
        description = "node type: ${COMPLETION-CANDIDATES}")
    NodeType type;

    @Option(names = "--file", paramLabel = "FILE", required = true, description = "the TOML file ('-' for stdin)")
    Path file;

    @Override
    int run(AdminSession s) throws IOException {
      String toml = file.toString().equals("-") ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8)
          : read(file);
      VersionedConfig v = s.mgmtd().setConfig(s.clusterId(), type, toml);
      Table t = new Table("TYPE", "VERSION", "BYTES").row(v.type(), v.version(), v.toml().length());
      print(json(), Views.obj("type", v.type().name(), "version", v.version()), t);
      return ExitCodes.OK;
    }

    private static String read(Path f) {
      try {
        return Files.readString(f, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw CatenaException.of(Errno.ENOENT, "cannot read %s (%s)", f, e.getClass().getSimpleName());
      }
    }
  }

  @Command(name = "get-config", description = "Print a node type's config text: the latest version or --version N.",
      footer = ExitCodes.FOOTER)
  static final class GetConfig extends AdminCall.Remote {
    @Option(names = "--type", paramLabel = "TYPE", required = true,
        description = "node type: ${COMPLETION-CANDIDATES}")
    NodeType type;

    @Option(names = "--version", paramLabel = "N", defaultValue = "0", description = "a version (default: latest)")
    long version;

    @Override
    int run(AdminSession s) {
      Optional<VersionedConfig> v = s.mgmtd().getConfig(s.clusterId(), type, version);
      if (v.isEmpty()) {
        throw CatenaException.of(Errno.ENOENT, version == 0 ? "no config stored for %s nodes"
            : "no config version " + version + " for %s nodes", type);
      }
      if (json()) {
        out().println(Json.write(Views.config(v.get())));
      } else {
        out().print("# " + type + " config version " + v.get().version() + "\n" + v.get().toml());
        if (!v.get().toml().endsWith("\n")) {
          out().println();
        }
      }
      out().flush();
      return ExitCodes.OK;
    }

    @Override
    String hint(CatenaException e) {
      return e.errno() == Errno.ENOENT && e.getMessage().contains("config")
          ? "store one with `catena admin set-config --type " + type + " --file FILE`" : null;
    }
  }
}
