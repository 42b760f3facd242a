package io.catena.admin;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.net.Address;
import io.catena.mgmtd.exports.ExportRule;
import io.catena.mgmtd.exports.ExportRules;
import io.catena.mgmtd.exports.ExportRulesException;
import io.catena.mgmtd.exports.ExportsWatcher;
import io.catena.mgmtd.exports.proto.GetExportsReply;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** exports check / exports show: the export rules file (docs/exports.md) offline, and as mgmtd serves it. */
@Command(name = "exports", description = "Export rules (mfsexports.cfg): check a file offline, show what mgmtd"
    + " serves.", subcommands = {ExportsCommands.Check.class, ExportsCommands.Show.class},
    footer = ExitCodes.FOOTER)
final class ExportsCommands implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @CommandLine.Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
  boolean help;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand: check FILE, or show");
  }

  @Command(name = "check", description = {"Validate an exports file without a cluster: prints its rules in the"
      + " order they are matched, or every error with its line number (exit 1)."}, footer = ExitCodes.FOOTER)
  static final class Check extends AdminCall {
    @Parameters(paramLabel = "FILE", description = "the exports file")
    Path file;

    @Mixin
    JsonOption output;

    @Override
    int run() {
      String text;
      try {
        text = Files.readString(file, StandardCharsets.UTF_8);
      } catch (NoSuchFileException e) {
        throw CatenaException.of(Errno.ENOENT, "%s does not exist", file);
      } catch (IOException e) {
        throw CatenaException.of(Errno.EIO, "cannot read %s: %s", file, e.getMessage());
      }
      ExportRules rules;
      try {
        rules = ExportRules.parse(text);
      } catch (ExportRulesException e) {
        err().println("catena admin: " + file + " is not valid (" + e.errors().size() + " error"
            + (e.errors().size() == 1 ? "" : "s") + "):");
        e.errors().forEach(l -> err().println("  " + file + ": " + l));
        err().flush();
        return ExitCodes.REFUSED;
      }
      print(output.json, view(rules, file.toString(), 0), table(rules));
      return ExitCodes.OK;
    }

    @Override
    String hint(CatenaException e) {
      return e.errno() == Errno.ENOENT ? "give the path of an exports file" : null;
    }
  }

  @Command(name = "show", description = "Print the export rules mgmtd serves (and meta and storage enforce).",
      footer = ExitCodes.FOOTER)
  static final class Show extends AdminCall.Remote {
    @Override
    int run(AdminSession s) {
      List<String> addresses = connection.mgmtdAddresses(s.config());
      CatenaException last = null;
      for (String a : addresses) {
        try {
          return show(ExportsWatcher.fetch(s.rpc(), Address.parse(a), -1));
        } catch (CatenaException e) {
          last = e;
        }
      }
      throw last != null ? last : CatenaException.of(Errno.EINVAL, "no mgmtd address");
    }

    private int show(GetExportsReply r) {
      if (!r.getConfigured()) {
        if (json()) {
          out().println(Json.write(Views.obj("configured", false)));
        } else {
          out().println("no export rules (mgmtd.exports_file is not set): every authenticated client may mount"
              + " / read-write");
        }
        out().flush();
        return ExitCodes.OK;
      }
      ExportRules rules = ExportRules.parse(r.getText());
      Table t = table(rules);
      t.footer("from " + r.getSource() + ", version " + Long.toHexString(r.getVersion()) + ", loaded "
          + Instant.ofEpochMilli(r.getLoadedAtMillis()));
      print(json(), view(rules, r.getSource(), r.getLoadedAtMillis()), t);
      return ExitCodes.OK;
    }
  }

  static Table table(ExportRules rules) {
    Table t = new Table("LINE", "ADDRESSES", "PATH", "OPTIONS");
    for (ExportRule r : rules.rules()) {
      t.row(r.line(), r.addresses(), r.path(), r.options());
    }
    return t;
  }

  static Map<String, Object> view(ExportRules rules, String source, long loadedAtMillis) {
    List<Object> list = new ArrayList<>();
    for (ExportRule r : rules.rules()) {
      list.add(Views.obj("line", r.line(), "addresses", r.addresses().text(), "path", r.path(), "read_only",
          r.readOnly(), "options", r.options()));
    }
    return Views.obj("configured", true, "source", source, "version", Long.toHexString(rules.version()),
        "loaded_at_millis", loadedAtMillis, "rules", list);
  }
}
