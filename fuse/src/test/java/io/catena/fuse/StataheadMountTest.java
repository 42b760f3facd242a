package io.catena.fuse;

import static io.catena.fuse.TestSupport.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.meta.MetaService;
import io.catena.meta.OpenFlags;
import io.catena.meta.SetAttr;
import io.catena.meta.UserInfo;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Statahead through a real kernel mount: a stat loop in listing order over names the kernel never saw costs a meta
 * call per listing page, and changes made through the mount are never answered from a page fetched before them. The
 * timeouts are long here so a stale answer would survive long enough to be seen.
 */
class StataheadMountTest extends CountingMountTestBase {
  @Override
  Map<String, String> configUpdates() {
    return Map.of("fuse.entry_timeout", "60s", "fuse.attr_timeout", "60s");
  }

  private long makeFiles(String dirName, String prefix, int n) {
    long dir = meta.mkdir(UserInfo.ROOT, MetaService.ROOT, dirName, 0755, null).id();
    for (int i = 0; i < n; i++) {
      long ino = meta.create(UserInfo.ROOT, dir, String.format("%s%05d", prefix, i), 0644,
          OpenFlags.O_CREAT | OpenFlags.O_RDONLY, "c1", null).inode().id();
      if (i % 100 == 7) {
        meta.setattr(UserInfo.ROOT, ino, new SetAttr(0600, null, null, null, null, null, null));
      }
    }
    return dir;
  }

  private static int mode(Path p) throws Exception {
    return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
  }

  @Test
  void statsInListingOrder_costAMetaCallPerListingPageNotPerName() throws Exception {
    int n = 2000;
    makeFiles("big", "f", n);
    Path big = mnt.resolve("big");
    Files.getAttribute(big, "unix:mode");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    fs.bindMetrics(registry);
    double answeredBefore = lookups(registry, "answered");
    double missedBefore = lookups(registry, "missed");
    resetCounts();
    for (int i = 0; i < n; i++) {
      assertEquals(i % 100 == 7 ? 0600 : 0644, mode(big.resolve(String.format("f%05d", i))), "mode of f" + i);
    }
    // A few lookups before the pattern shows, and those of a walk that outruns the next window (how many depends on
    // the machine's load: 216 of 2,000 seen once at load 14); 256-entry pages otherwise. Without statahead: n.
    assertTrue(count("lookup") <= n / 4, "lookups: " + counts());
    assertTrue(count("readdir") >= n / 256 && count("readdir") <= n / 256 + 8, "readdir pages: " + counts());
    double answered = lookups(registry, "answered") - answeredBefore;
    double missed = lookups(registry, "missed") - missedBefore;
    assertTrue(answered + missed >= n, "every stat was a lookup: " + answered + " + " + missed);
    assertEquals(count("lookup"), missed, 0.0, "a miss is a meta lookup");
  }

  private static double lookups(SimpleMeterRegistry registry, String result) {
    return registry.get("catena.fuse.statahead.lookups").tag("result", result).functionCounter().count();
  }

  @Test
  void changesThroughTheMount_areNeverAnsweredFromAPageFetchedBefore() throws Exception {
    int n = 40;
    makeFiles("d", "g", n);
    Path d = mnt.resolve("d");
    for (int i = 0; i < n; i++) {
      mode(d.resolve(String.format("g%05d", i))); // fetches the rest of the directory ahead
    }
    ok("chmod", "0640", d + "/g00020");
    Files.write(d.resolve("g00021"), new byte[1000]);
    Files.delete(d.resolve("g00022"));
    Files.move(d.resolve("g00023"), d.resolve("h00023"));
    ok("truncate", "-s", "77", d + "/g00024");
    Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "2\n"); // the kernel forgets every name it holds
    resetCounts();
    for (int i = 0; i < n; i++) {
      Path p = d.resolve(String.format("g%05d", i));
      switch (i) {
        case 20 -> assertEquals(0640, mode(p), "chmod through the mount");
        case 21 -> assertEquals(1000, Files.size(p), "written and closed through the mount");
        case 22, 23 -> assertFalse(Files.exists(p, LinkOption.NOFOLLOW_LINKS), "removed or renamed: " + p);
        case 24 -> assertEquals(77, Files.size(p), "truncated through the mount");
        default -> assertEquals(i % 100 == 7 ? 0600 : 0644, mode(p), p.toString());
      }
    }
    assertTrue(Files.exists(d.resolve("h00023")));
    // The unchanged names were answered from what statahead fetched before the changes.
    assertTrue(count("lookup") <= 15, "lookups: " + counts());
  }
}
