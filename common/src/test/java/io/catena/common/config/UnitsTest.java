package io.catena.common.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class UnitsTest {
  @Test
  void sizesParseBinaryAndDecimalUnits() {
    assertEquals(512, DataSize.parse("512").bytes());
    assertEquals(64 * 1024, DataSize.parse("64KiB").bytes());
    assertEquals(1 << 20, DataSize.parse("1 MiB").bytes());
    assertEquals(10_000_000_000L, DataSize.parse("10GB").bytes());
    assertEquals(3L << 40, DataSize.parse("3TiB").bytes());
  }

  @Test
  void sizesPrintInTheLargestExactBinaryUnit() {
    assertEquals("1MiB", DataSize.ofMiB(1).toString());
    assertEquals("1536KiB", DataSize.ofKiB(1536).toString());
    assertEquals("1000B", DataSize.parse("1KB").toString());
    assertEquals("0B", DataSize.ofBytes(0).toString());
  }

  @Test
  void badSizesAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> DataSize.parse("1XB"));
    assertThrows(IllegalArgumentException.class, () -> DataSize.parse("-1"));
    assertThrows(IllegalArgumentException.class, () -> DataSize.parse("99999999999TiB"));
  }

  @Test
  void durationsRoundTrip() {
    assertEquals(Duration.ofMillis(100), Durations.parse("100ms"));
    assertEquals(Duration.ofMillis(1500), Durations.parse("1.5s"));
    assertEquals(Duration.ofMinutes(5), Durations.parse("5m"));
    assertEquals(Duration.ofNanos(500_000), Durations.parse("500us"));
    assertEquals("150ms", Durations.format(Duration.ofMillis(150)));
    assertEquals("2h", Durations.format(Duration.ofHours(2)));
    assertEquals("90s", Durations.format(Duration.ofSeconds(90)));
  }

  @Test
  void badDurationsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> Durations.parse("10"));
    assertThrows(IllegalArgumentException.class, () -> Durations.parse("10 parsecs"));
    assertThrows(IllegalArgumentException.class, () -> Durations.parse("0.5ns"));
  }
}
