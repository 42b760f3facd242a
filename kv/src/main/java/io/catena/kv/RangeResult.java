package io.catena.kv;

import java.util.List;

/**
 * A page of a range read: the pairs in key order (reverse order for reverse reads) and whether more pairs exist in
 * the requested range beyond this page. To read the next page, continue after the last key returned. Immutable.
 */
public record RangeResult(List<KeyValue> pairs, boolean more) {
  public RangeResult {
    pairs = List.copyOf(pairs);
  }
}
