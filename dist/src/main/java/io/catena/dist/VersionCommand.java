package io.catena.dist;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code catena version}: the build and the runtime it runs on. */
@Command(name = "version", description = "Print the Catena version and the Java runtime.")
final class VersionCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  static String version() {
    String v = Main.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  @Override
  public void run() {
    for (String line : new Provider().getVersion()) {
      spec.commandLine().getOut().println(line);
    }
  }

  static final class Provider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {
          "catena " + version(),
          "java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")",
          "os " + System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
              + System.getProperty("os.arch")
      };
    }
  }
}
