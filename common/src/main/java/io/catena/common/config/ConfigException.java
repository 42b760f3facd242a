package io.catena.common.config;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Status;
import java.util.Comparator;

/** A configuration that cannot be used; the message names the source, the key, the bad value and what is allowed. */
public final class ConfigException extends CatenaException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(Status.of(Errno.EINVAL, "%s", message));
  }

  static ConfigException unknownKey(String source, String name, ConfigSchema schema) {
    String nearest = schema.keys().stream().map(Key::name)
        .min(Comparator.comparingInt(n -> distance(n, name))).orElse(null);
    String hint = nearest != null && distance(nearest, name) <= 3 ? " (did you mean " + nearest + "?)" : "";
    return new ConfigException(source + ": unknown key " + name + hint);
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
