package io.catena.mgmtd.exports;

import io.catena.common.config.Key;
import java.time.Duration;

/** Keys of export rules: the file mgmtd reads and how often servers ask for changes. Immutable constants. */
public final class ExportsConfig {
  private ExportsConfig() {}

  public static final Key<String> FILE = Key.string("mgmtd.exports_file").defaultValue("")
      .doc("Export rules (mfsexports.cfg syntax, docs/exports.md) that meta and storage enforce on every client"
          + " call. Empty: no rules, every authenticated client may mount anything read-write. mgmtd refuses to"
          + " start on a bad file and notices edits within mgmtd.exports_poll_interval (a bad edit is logged with"
          + " its line number and the previous rules stay).");

  public static final Key<Duration> POLL_INTERVAL = Key.duration("mgmtd.exports_poll_interval").defaultValue("1s")
      .range("100ms", "1min").doc("How often mgmtd looks at mgmtd.exports_file for changes.");

  public static final Key<Duration> REFRESH_INTERVAL = Key.duration("exports.refresh_interval").defaultValue("1s")
      .range("100ms", "1min").doc("How often meta and storage ask mgmtd whether the export rules changed (one"
          + " small call answered 'unchanged' when they did not).");
}
