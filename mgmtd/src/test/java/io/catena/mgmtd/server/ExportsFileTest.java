package io.catena.mgmtd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.mgmtd.exports.ExportsConfig;
import io.catena.mgmtd.exports.proto.GetExportsReply;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** mgmtd's exports file: refused start on a bad file, reload on edit, previous rules kept on a bad edit. */
class ExportsFileTest {
  @TempDir Path dir;

  private static Config config(Path file) {
    // Polls are driven by the test (poll()); the scheduler's interval is long enough never to interfere.
    return Config.defaults(ConfigSchema.fromHolders(ExportsConfig.class)).withUpdates(Map.of(
        ExportsConfig.FILE.name(), file.toString(), ExportsConfig.POLL_INTERVAL.name(), "1min"), "test", false);
  }

  @Test
  void badFile_refusesTheStart_namingEachLine() throws Exception {
    Path f = Files.writeString(dir.resolve("exports.cfg"), "* / rw\n* / rw,nope\n10.0.0.1-10.0.0.0 / ro\n");
    CatenaException e = assertThrows(CatenaException.class, () -> ExportsFile.open(config(f), Clock.systemUTC()));
    assertEquals(Errno.EINVAL, e.errno());
    assertTrue(e.getMessage().contains("line 2: unknown option 'nope'"), e.getMessage());
    assertTrue(e.getMessage().contains("line 3: range 10.0.0.1-10.0.0.0 ends before it starts"), e.getMessage());
    Path missing = dir.resolve("absent.cfg");
    assertEquals(Errno.ENOENT, assertThrows(CatenaException.class,
        () -> ExportsFile.open(config(missing), Clock.systemUTC())).errno());
  }

  @Test
  void edits_reload_andABadEditOrADeletedFileKeepsThePreviousRules() throws Exception {
    Path f = Files.writeString(dir.resolve("exports.cfg"), "127.0.0.1 / rw\n");
    try (ExportsFile x = ExportsFile.open(config(f), Clock.systemUTC())) {
      GetExportsReply first = ExportsService.reply(x, -1);
      assertTrue(first.getConfigured());
      assertEquals("127.0.0.1 / rw\n", first.getText());
      assertTrue(ExportsService.reply(x, first.getVersion()).getUnchanged());

      Files.writeString(f, "127.0.0.1 / ro\n");
      x.poll();
      GetExportsReply second = ExportsService.reply(x, first.getVersion());
      assertFalse(second.getUnchanged());
      assertEquals("127.0.0.1 / ro\n", second.getText());

      Files.writeString(f, "127.0.0.1 / ro,bad\n");
      x.poll();
      assertTrue(ExportsService.reply(x, second.getVersion()).getUnchanged(), "a bad edit changes nothing");
      Files.delete(f);
      x.poll();
      assertTrue(ExportsService.reply(x, second.getVersion()).getUnchanged(), "nor does deleting the file");
      Files.writeString(f, "* / rw\n");
      x.poll();
      assertEquals("* / rw\n", ExportsService.reply(x, second.getVersion()).getText());
    }
  }

  @Test
  void noFile_servesNotConfigured() {
    GetExportsReply r = ExportsService.reply(ExportsFile.none(), -1);
    assertFalse(r.getConfigured());
    assertFalse(r.getUnchanged());
    assertTrue(ExportsService.reply(ExportsFile.none(), 0).getUnchanged());
  }
}
