package io.catena.dist;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The server processes that serve a {@code catena up} data directory, whoever started them: the Catena roles `up`
 * starts (each names the directory in its arguments: its disk, its token file, its mount point) and the etcd members
 * of {@code up --ha}. Found by their command lines in /proc, so processes of an `up` that died (or of an older Catena
 * that left orphans) are found too; commands that only use the directory ({@code catena admin --data D}, {@code catena
 * down}) are not servers and are left out. Stateless; thread-safe.
 */
final class DataDirProcesses {
  private static final Set<String> ROLES = Set.of("up", "control", "mgmtd", "meta", "storage", "mount");

  /** A process serving the directory: its pid, its role and its whole command line. */
  record Server(long pid, String role, String commandLine) {
    boolean isMount() {
      return role.equals("mount");
    }

    /** The mount point of a {@code catena mount MNT ...} process. */
    Optional<Path> mountPoint() {
      if (!isMount()) {
        return Optional.empty();
      }
      String[] words = commandLine.split(" ");
      for (int i = 1; i + 1 < words.length; i++) {
        boolean afterLauncher = words[i - 1].equals(Main.class.getName()) || words[i - 1].endsWith("catena.jar");
        if (words[i].equals("mount") && afterLauncher) {
          return Optional.of(Path.of(words[i + 1]));
        }
      }
      return Optional.empty();
    }
  }

  private DataDirProcesses() {}

  /** Every server process of {@code dir} (absolute), other than this process, mounts first. */
  static List<Server> of(Path dir) {
    String d = dir.toAbsolutePath().normalize().toString();
    long self = ProcessHandle.current().pid();
    List<Server> mounts = new ArrayList<>();
    List<Server> others = new ArrayList<>();
    ProcessHandle.allProcesses().filter(p -> p.pid() != self).forEach(p -> {
      String cmd = p.info().commandLine().orElse("");
      if (!names(cmd, d)) {
        return;
      }
      String role = role(cmd);
      if (role != null) {
        Server s = new Server(p.pid(), role, cmd);
        (s.isMount() ? mounts : others).add(s);
      }
    });
    mounts.addAll(others);
    return mounts;
  }

  /** Whether {@code cmd} names {@code dir} itself or a path inside it (not merely a sibling with a longer name). */
  private static boolean names(String cmd, String dir) {
    for (int i = cmd.indexOf(dir); i >= 0; i = cmd.indexOf(dir, i + 1)) {
      int end = i + dir.length();
      if (end == cmd.length() || cmd.charAt(end) == '/' || cmd.charAt(end) == ' ') {
        return true;
      }
    }
    return false;
  }

  /** The role of a Catena JVM (the word after the launcher's main class) or "etcd"; null for anything else. */
  private static String role(String cmd) {
    String main = Main.class.getName() + " ";
    int i = cmd.indexOf(main);
    if (i < 0) {
      i = cmd.indexOf("catena.jar ");
      main = "catena.jar ";
    }
    if (i >= 0) {
      String rest = cmd.substring(i + main.length()).trim();
      String word = rest.split(" ", 2)[0];
      return ROLES.contains(word) ? word : null;
    }
    String program = cmd.split(" ", 2)[0];
    return program.endsWith("/etcd") || program.equals("etcd") ? "etcd" : null;
  }
}
