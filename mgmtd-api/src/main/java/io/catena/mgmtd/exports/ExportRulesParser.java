package io.catena.mgmtd.exports;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the mfsexports.cfg-style syntax, one rule a line: {@code ADDRESSES PATH [OPTIONS]}, {@code #} comments and
 * blank lines ignored. Every line is checked and every error reported with its line number, so an operator fixes a
 * file in one pass. Stateless.
 */
final class ExportRulesParser {
  static final int MAX_GOAL = 9;
  private static final Set<String> FLAGS = Set.of("ro", "readonly", "rw", "readwrite", "alldirs");
  private static final List<String> KNOWN = List.of("ro", "rw", "alldirs", "maproot=UID[:GID]", "mapall=UID[:GID]",
      "users=NAME|UID,...", "mingoal=N", "maxgoal=N", "mintrashtime=DURATION", "maxtrashtime=DURATION");
  private static final Pattern DURATION_PART = Pattern.compile("(\\d+)([wdhms])");

  private ExportRulesParser() {}

  static List<ExportRule> parse(String text) {
    List<ExportRule> rules = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      int hash = line.indexOf('#');
      String body = (hash >= 0 ? line.substring(0, hash) : line).strip();
      if (body.isEmpty()) {
        continue;
      }
      try {
        rules.add(rule(i + 1, body));
      } catch (IllegalArgumentException e) {
        errors.add("line " + (i + 1) + ": " + e.getMessage());
      }
    }
    if (!errors.isEmpty()) {
      throw new ExportRulesException(errors);
    }
    return rules;
  }

  private static ExportRule rule(int line, String body) {
    String[] f = body.split("\\s+");
    if (f.length < 2 || f.length > 3) {
      throw new IllegalArgumentException("expected 'ADDRESSES PATH [OPTIONS]', found " + f.length + " field"
          + (f.length == 1 ? "" : "s"));
    }
    AddressRange addresses = AddressRange.parse(f[0]);
    String path = path(f[1]);
    Options o = new Options();
    if (f.length == 3) {
      o.read(f[2]);
    }
    if (o.minGoal.isPresent() && o.maxGoal.isPresent() && o.minGoal.getAsInt() > o.maxGoal.getAsInt()) {
      throw new IllegalArgumentException("mingoal " + o.minGoal.getAsInt() + " is above maxgoal "
          + o.maxGoal.getAsInt());
    }
    if (o.minTrash.isPresent() && o.maxTrash.isPresent() && o.minTrash.get().compareTo(o.maxTrash.get()) > 0) {
      throw new IllegalArgumentException("mintrashtime is above maxtrashtime");
    }
    return new ExportRule(line, addresses, path, o.readOnly, o.allDirs, o.mapRoot, o.mapAll, o.users, o.minGoal,
        o.maxGoal, o.minTrash, o.maxTrash);
  }

  /**
   * An absolute path without ".", ".." or empty components; trailing slashes dropped. Also how servers read the
   * subdirectory a client asks for ({@link ExportRule#normalSubdir}).
   */
  static String path(String p) {
    if (!p.startsWith("/")) {
      throw new IllegalArgumentException("path '" + p + "' is not absolute (the file system's root is /)");
    }
    List<String> parts = new ArrayList<>();
    for (String c : p.split("/")) {
      if (c.isEmpty()) {
        continue;
      }
      if (c.equals(".") || c.equals("..")) {
        throw new IllegalArgumentException("path '" + p + "' contains '" + c + "'");
      }
      parts.add(c);
    }
    return "/" + String.join("/", parts);
  }

  /** The options of one line as they are read. Not thread-safe. */
  private static final class Options {
    boolean readOnly = true; // MooseFS's default: an export is read-only unless it says rw
    boolean allDirs;
    Optional<IdMapping> mapRoot = Optional.empty();
    Optional<IdMapping> mapAll = Optional.empty();
    List<String> users = new ArrayList<>();
    OptionalInt minGoal = OptionalInt.empty();
    OptionalInt maxGoal = OptionalInt.empty();
    Optional<Duration> minTrash = Optional.empty();
    Optional<Duration> maxTrash = Optional.empty();

    void read(String field) {
      boolean inUsers = false;
      for (String opt : field.split(",", -1)) {
        if (opt.isEmpty()) {
          throw new IllegalArgumentException("'" + field + "': empty option");
        }
        int eq = opt.indexOf('=');
        if (eq < 0 && inUsers && !FLAGS.contains(opt)) {
          users.add(user(opt)); // users=a,b,c: names continue until the next option
          continue;
        }
        inUsers = false;
        String name = eq < 0 ? opt : opt.substring(0, eq);
        String value = eq < 0 ? null : opt.substring(eq + 1);
        switch (name) {
          case "ro", "readonly" -> readOnly = flag(name, value, true);
          case "rw", "readwrite" -> readOnly = flag(name, value, false);
          case "alldirs" -> allDirs = flag(name, value, true);
          case "maproot" -> mapRoot = Optional.of(IdMapping.parse(required(name, value)));
          case "mapall" -> mapAll = Optional.of(IdMapping.parse(required(name, value)));
          case "users" -> {
            users.add(user(required(name, value)));
            inUsers = true;
          }
          case "mingoal" -> minGoal = OptionalInt.of(goal(name, required(name, value)));
          case "maxgoal" -> maxGoal = OptionalInt.of(goal(name, required(name, value)));
          case "mintrashtime" -> minTrash = Optional.of(duration(name, required(name, value)));
          case "maxtrashtime" -> maxTrash = Optional.of(duration(name, required(name, value)));
          case "password", "md5pass" -> throw new IllegalArgumentException("option '" + name + "' is not"
              + " supported: Catena authenticates with tokens (users=... limits which token users may mount)");
          default -> throw new IllegalArgumentException("unknown option '" + name + "' (known: "
              + String.join(", ", KNOWN) + ")");
        }
      }
    }

    private static boolean flag(String name, String value, boolean result) {
      if (value != null) {
        throw new IllegalArgumentException("option '" + name + "' takes no value");
      }
      return result;
    }

    private static String required(String name, String value) {
      if (value == null || value.isEmpty()) {
        throw new IllegalArgumentException("option '" + name + "' needs a value (" + name + "=...)");
      }
      return value;
    }

    private static String user(String u) {
      if (!u.matches("[A-Za-z0-9_][A-Za-z0-9_.-]*")) {
        throw new IllegalArgumentException("'" + u + "' is not a user name or uid");
      }
      return u;
    }

    private static int goal(String name, String v) {
      int g;
      try {
        g = Integer.parseInt(v);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(name + " '" + v + "' is not a number");
      }
      if (g < 1 || g > MAX_GOAL) {
        throw new IllegalArgumentException(name + " " + g + " is outside 1.." + MAX_GOAL);
      }
      return g;
    }
  }

  /** Seconds ({@code 86400}) or units as MooseFS writes them ({@code 1d}, {@code 2h30m}, {@code 1w}). */
  static Duration duration(String name, String v) {
    if (v.matches("\\d+")) {
      return Duration.ofSeconds(Long.parseLong(v));
    }
    Matcher m = DURATION_PART.matcher(v);
    long seconds = 0;
    int at = 0;
    while (m.find() && m.start() == at) {
      long n = Long.parseLong(m.group(1));
      seconds += n * switch (m.group(2)) {
        case "w" -> 7 * 86400L;
        case "d" -> 86400L;
        case "h" -> 3600L;
        case "m" -> 60L;
        default -> 1L;
      };
      at = m.end();
    }
    if (at != v.length() || v.isEmpty()) {
      throw new IllegalArgumentException(name + " '" + v + "' is not a duration (seconds, or e.g. 1d, 2h30m, 1w)");
    }
    return Duration.ofSeconds(seconds);
  }
}
