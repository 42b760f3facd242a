package io.catena.fuse.usrbio;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What the daemon learns about a calling process from /proc: its thread group, whether it is still the same process,
 * and which file one of its descriptors holds open with which flags. The root is injectable so tests can give a
 * made-up tree. Thread-safe: stateless.
 */
final class ProcFs {
  private final Path root;

  ProcFs(Path root) {
    this.root = root;
  }

  static ProcFs system() {
    return new ProcFs(Path.of("/proc"));
  }

  /** One descriptor as /proc/PID/fdinfo/FD shows it: read in one go, so the fields describe the same open file. */
  record FdInfo(int flags, int mountId, long ino) {}

  /**
   * The thread group (process) of {@code tid}: FUSE requests carry the calling thread's id, and a registration
   * belongs to the process, whichever of its threads made it.
   */
  int tgid(int tid) {
    for (String line : lines(root.resolve(tid + "/status"), "process " + tid)) {
      if (line.startsWith("Tgid:")) {
        return Integer.parseInt(line.substring(5).trim());
      }
    }
    throw CatenaException.of(Errno.ENOENT, "process %d has no Tgid in /proc", tid);
  }

  /**
   * When the process started (/proc/PID/stat field 22, in clock ticks since boot), or empty when no such process
   * runs: a pid and its start time name one process for good, even after the pid is reused.
   */
  Optional<Long> startTime(int pid) {
    String stat;
    try {
      stat = Files.readString(root.resolve(pid + "/stat"));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
    // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
    String[] rest = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
    return Optional.of(Long.parseLong(rest[19])); // field 22 is the 20th after the name
  }

  /** The flags, mount and inode of descriptor {@code fd} of process {@code pid}; EBADF when it has no such fd. */
  FdInfo fdInfo(int pid, int fd) {
    Integer flags = null;
    Integer mnt = null;
    Long ino = null;
    for (String line : lines(root.resolve(pid + "/fdinfo/" + fd), "descriptor " + fd + " of process " + pid)) {
      int colon = line.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String v = line.substring(colon + 1).trim();
      switch (line.substring(0, colon)) {
        case "flags" -> flags = Integer.parseInt(v, 8);
        case "mnt_id" -> mnt = Integer.parseInt(v);
        case "ino" -> ino = Long.parseUnsignedLong(v);
        default -> { }
      }
    }
    if (flags == null || mnt == null || ino == null) {
      throw CatenaException.of(Errno.ENOSYS, "/proc/%d/fdinfo/%d lacks flags, mnt_id or ino (kernel too old)", pid,
          fd);
    }
    return new FdInfo(flags, mnt, ino);
  }

  /** Where descriptor {@code fd} of {@code pid} points, as the process sees it (for listings only). */
  String fdTarget(int pid, int fd) {
    try {
      return Files.readSymbolicLink(root.resolve(pid + "/fd/" + fd)).toString();
    } catch (IOException e) {
      return "?";
    }
  }

  /** The device ("major:minor") of mount {@code mountId} as process {@code pid} sees its mounts. */
  String mountDevice(int pid, int mountId) {
    for (String line : lines(root.resolve(pid + "/mountinfo"), "the mounts of process " + pid)) {
      String[] f = line.split(" ");
      if (f.length > 4 && f[0].equals(Integer.toString(mountId))) {
        return f[2];
      }
    }
    throw CatenaException.of(Errno.EXDEV, "process %d has no mount %d", pid, mountId);
  }

  /** The device of what is mounted at {@code mountpoint} in this process's view (the topmost mount there). */
  Optional<String> deviceMountedAt(Path mountpoint) {
    String want = mountpoint.toAbsolutePath().normalize().toString();
    String found = null;
    for (String line : lines(root.resolve("self/mountinfo"), "this process's mounts")) {
      String[] f = line.split(" ");
      if (f.length > 4 && unescape(f[4]).equals(want)) {
        found = f[2];
      }
    }
    return Optional.ofNullable(found);
  }

  /** mountinfo writes space, tab, newline and backslash in octal escapes. */
  private static String unescape(String s) {
    if (s.indexOf('\\') < 0) {
      return s;
    }
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 3 < s.length()) {
        b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  private static List<String> lines(Path p, String what) {
    try {
      return Files.readAllLines(p);
    } catch (NoSuchFileException e) {
      throw CatenaException.of(p.toString().contains("/fdinfo/") ? Errno.EBADF : Errno.ENOENT, "no %s (%s)", what,
          p);
    } catch (IOException e) {
      throw CatenaException.of(Errno.EACCES, "cannot read %s (%s): %s", what, p, e.getMessage());
    }
  }
}
