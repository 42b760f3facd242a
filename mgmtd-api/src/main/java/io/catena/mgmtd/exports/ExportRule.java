package io.catena.mgmtd.exports;

import io.catena.common.cluster.UserAccount;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One line of an exports file: which clients ({@code addresses}) may mount which subtree ({@code path}) and how.
 * Meta enforces the goal and trash-time bounds on set-goal and set-trashtime (io.catena.meta.server.MetaExports).
 * Immutable.
 *
 * @param line the line number in the file, named in logs and errors
 * @param users token users allowed (names or uids as written); empty: every user
 */
public record ExportRule(int line, AddressRange addresses, String path, boolean readOnly, boolean allDirs,
    Optional<IdMapping> mapRoot, Optional<IdMapping> mapAll, List<String> users, OptionalInt minGoal,
    OptionalInt maxGoal, Optional<Duration> minTrashTime, Optional<Duration> maxTrashTime) {

  public ExportRule {
    users = List.copyOf(users);
  }

  /** Whether a token's user may use this export ({@code users=}; empty account: a server checking no tokens). */
  public boolean admits(Optional<UserAccount> user) {
    if (users.isEmpty()) {
      return true;
    }
    return user.isPresent() && (users.contains(user.get().name()) || users.contains(Long.toString(user.get().uid())));
  }

  /**
   * Whether a client may mount {@code subdir} (normalised, see {@link #normalSubdir}) under this rule, as MooseFS
   * decides it: exactly {@code path}, or, with {@code alldirs}, {@code path} or any directory beneath it.
   */
  public boolean admitsSubdir(String subdir) {
    if (subdir.equals(path)) {
      return true;
    }
    return allDirs && (path.equals("/") || subdir.startsWith(path + "/"));
  }

  /**
   * {@code subdir} as rules compare it: absolute, no "."/".." or empty components, no trailing slash; "" means "/".
   * Refusing ".." matters: rules compare paths as strings, so "/p/../q" must never pass for a path under /p.
   *
   * @throws IllegalArgumentException when it is not such a path
   */
  public static String normalSubdir(String subdir) {
    return subdir == null || subdir.isEmpty() ? "/" : ExportRulesParser.path(subdir);
  }

  /** The identity a caller acts as under this rule: mapall first, else maproot for uid 0, else itself. */
  public Optional<IdMapping> mappingFor(long uid) {
    if (mapAll.isPresent()) {
      return mapAll;
    }
    return uid == 0 ? mapRoot : Optional.empty();
  }

  /** The options as a canonical string (what {@code catena admin exports show} prints). */
  public String options() {
    StringBuilder b = new StringBuilder(readOnly ? "ro" : "rw");
    if (allDirs) {
      b.append(",alldirs");
    }
    mapRoot.ifPresent(m -> b.append(",maproot=").append(m));
    mapAll.ifPresent(m -> b.append(",mapall=").append(m));
    if (!users.isEmpty()) {
      b.append(",users=").append(String.join(",", users));
    }
    minGoal.ifPresent(g -> b.append(",mingoal=").append(g));
    maxGoal.ifPresent(g -> b.append(",maxgoal=").append(g));
    minTrashTime.ifPresent(d -> b.append(",mintrashtime=").append(d.toSeconds()).append('s'));
    maxTrashTime.ifPresent(d -> b.append(",maxtrashtime=").append(d.toSeconds()).append('s'));
    return b.toString();
  }

  @Override
  public String toString() {
    return "line " + line + " (" + addresses + " " + path + " " + options() + ")";
  }
}
