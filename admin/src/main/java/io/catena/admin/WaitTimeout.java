package io.catena.admin;

import io.catena.common.config.Durations;
import java.time.Duration;
import picocli.CommandLine.Option;

/** {@code --wait-timeout}, shared by the commands whose {@code --wait} watches something finish. */
final class WaitTimeout {
  @Option(names = "--wait-timeout", paramLabel = "DURATION", defaultValue = "30min",
      description = "give up waiting after this long (default: ${DEFAULT-VALUE})")
  String value;

  Duration duration() {
    return Durations.parse(value);
  }
}
