package io.catena.admin;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.mgmtd.ChainSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the files {@code catena admin placement} writes ({@link io.catena.placement.PlacementFiles}: CSV with a
 * header line, integers only). A malformed line is EINVAL naming the file and line. Stateless.
 */
final class PlacementCsv {
  private PlacementCsv() {}

  /** A line of targets.csv. */
  record TargetLine(long targetId, long nodeId, int diskIndex, long chainId) {}

  static List<TargetLine> targets(Path file) {
    List<TargetLine> out = new ArrayList<>();
    for (Line l : read(file, "target_id", 4, 4)) {
      out.add(new TargetLine(l.values[0], l.values[1], Math.toIntExact(l.values[2]), l.values[3]));
    }
    return out;
  }

  static List<ChainSpec> chains(Path file) {
    List<ChainSpec> out = new ArrayList<>();
    for (Line l : read(file, "chain_id", 2, Integer.MAX_VALUE)) {
      List<Long> ts = new ArrayList<>();
      for (int i = 1; i < l.values.length; i++) {
        ts.add(l.values[i]);
      }
      out.add(new ChainSpec(l.values[0], ts));
    }
    return out;
  }

  /** chain-table.csv: the chain ids of each table id, in file order. */
  static Map<Integer, List<Long>> chainTables(Path file) {
    Map<Integer, List<Long>> out = new LinkedHashMap<>();
    for (Line l : read(file, "table_id", 2, 2)) {
      out.computeIfAbsent(Math.toIntExact(l.values[0]), k -> new ArrayList<>()).add(l.values[1]);
    }
    return out;
  }

  private record Line(int number, long[] values) {}

  private static List<Line> read(Path file, String firstColumn, int minFields, int maxFields) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw CatenaException.of(Errno.ENOENT, "cannot read %s (%s)", file, e.getClass().getSimpleName());
    }
    List<Line> out = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String s = lines.get(i).trim();
      if (s.isEmpty() || s.startsWith("#") || (i == 0 && s.startsWith(firstColumn))) {
        continue;
      }
      String[] f = s.split(",");
      if (f.length < minFields || f.length > maxFields) {
        throw CatenaException.of(Errno.EINVAL, "%s line %d: expected %s fields, got %d: '%s'", file, i + 1,
            minFields == maxFields ? String.valueOf(minFields) : "at least " + minFields, f.length, s);
      }
      long[] v = new long[f.length];
      for (int k = 0; k < f.length; k++) {
        try {
          v[k] = Long.parseLong(f[k].trim());
        } catch (NumberFormatException e) {
          throw CatenaException.of(Errno.EINVAL, "%s line %d field %d: '%s' is not an integer", file, i + 1, k + 1,
              f[k].trim());
        }
      }
      out.add(new Line(i + 1, v));
    }
    return out;
  }
}
