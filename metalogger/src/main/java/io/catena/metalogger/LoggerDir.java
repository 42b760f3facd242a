package io.catena.metalogger;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The files of a logger's directory: {@code checkpoint-V.dump} (the store at version V, {@link io.catena.kv.KvDump}
 * format, complete once under this name) and {@code changes-V.log} (the changes after it, {@link ChangeLog}).
 * Stateless apart from the path; thread-safe.
 */
final class LoggerDir {
  private static final Pattern CHECKPOINT = Pattern.compile("checkpoint-(\\d{20})\\.dump");

  private final Path dir;

  LoggerDir(Path dir) {
    this.dir = dir;
  }

  Path path() {
    return dir;
  }

  Path checkpoint(long version) {
    return dir.resolve(String.format("checkpoint-%020d.dump", version));
  }

  Path changes(long version) {
    return dir.resolve(String.format("changes-%020d.log", version));
  }

  /** The versions of the complete checkpoints, oldest first. */
  List<Long> checkpoints() {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<Long> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      s.forEach(p -> {
        Matcher m = CHECKPOINT.matcher(p.getFileName().toString());
        if (m.matches()) {
          out.add(Long.parseLong(m.group(1)));
        }
      });
    } catch (IOException e) {
      throw CatenaException.of(Errno.EIO, "cannot list %s: %s", dir, e);
    }
    out.sort(null);
    return out;
  }

  Optional<Long> latest() {
    List<Long> all = checkpoints();
    return all.isEmpty() ? Optional.empty() : Optional.of(all.getLast());
  }

  /** Deletes all but the newest {@code keep} checkpoints and their logs. */
  void prune(int keep) {
    List<Long> all = checkpoints();
    for (int i = 0; i < all.size() - keep; i++) {
      try {
        // The log first: a checkpoint without its log is still a valid (older) restore point, never the reverse.
        Files.deleteIfExists(changes(all.get(i)));
        Files.deleteIfExists(checkpoint(all.get(i)));
      } catch (IOException e) {
        throw CatenaException.of(Errno.EIO, "cannot delete old checkpoint %d in %s: %s", all.get(i), dir, e);
      }
    }
  }
}
