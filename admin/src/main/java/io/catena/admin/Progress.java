package io.catena.admin;

import java.io.PrintWriter;

/**
 * Progress of a long operation on stderr, one line per step ("create-targets: 300/1200 registered in mgmtd"),
 * so it reads the same on a terminal and in a log; quiet for operations of one step. Not thread-safe.
 */
final class Progress {
  private final PrintWriter err;
  private final String what;
  private final long total;
  private final boolean quiet;
  private long done;

  Progress(PrintWriter err, String what, long total, boolean quiet) {
    this.err = err;
    this.what = what;
    this.total = total;
    this.quiet = quiet;
  }

  void advance(long n, String doing) {
    done += n;
    if (!quiet) {
      err.printf("%s: %d/%d %s (%d%%)%n", what, done, total, doing, total == 0 ? 100 : done * 100 / total);
      err.flush();
    }
  }

  void note(String line) {
    if (!quiet) {
      err.println(what + ": " + line);
      err.flush();
    }
  }
}
