package io.catena.fuse.kernel;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Supplementary groups of caller processes, read from {@code /proc/<pid>/status} (the kernel's FUSE request
 * carries only uid, gid and pid) and cached for a short time: a process changing its groups is seen within the
 * ttl. Thread-safe.
 */
final class GroupCache {
  private static final int[] NONE = new int[0];
  private static final int MAX_ENTRIES = 4096;

  private record Cached(int[] groups, long expiresNanos) {}

  private final ConcurrentHashMap<Integer, Cached> cache = new ConcurrentHashMap<>();
  private final long ttlNanos;

  GroupCache(long ttlNanos) {
    this.ttlNanos = ttlNanos;
  }

  int[] groups(int pid) {
    if (pid <= 0) {
      return NONE;
    }
    long now = System.nanoTime();
    Cached c = cache.get(pid);
    if (c != null && now - c.expiresNanos < 0) {
      return c.groups;
    }
    int[] g = read(pid);
    if (cache.size() >= MAX_ENTRIES) {
      cache.clear(); // cheaper than LRU bookkeeping; re-reads are a few microseconds
    }
    cache.put(pid, new Cached(g, now + ttlNanos));
    return g;
  }

  static int[] read(int pid) {
    try (BufferedReader r = Files.newBufferedReader(Path.of("/proc", Integer.toString(pid), "status"),
        StandardCharsets.ISO_8859_1)) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.startsWith("Groups:")) {
          String rest = line.substring(7).trim();
          if (rest.isEmpty()) {
            return NONE;
          }
          String[] parts = rest.split("\\s+");
          int[] out = new int[parts.length];
          for (int i = 0; i < parts.length; i++) {
            out[i] = Integer.parseUnsignedInt(parts[i]);
          }
          return out;
        }
      }
    } catch (IOException | RuntimeException e) {
      // The caller may already have exited: it then has no groups to grant anything.
    }
    return NONE;
  }
}
