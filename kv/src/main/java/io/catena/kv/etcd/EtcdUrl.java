package io.catena.kv.etcd;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A parsed {@code etcd://host:port[,host:port...]/prefix} URL. The prefix names the key space of one Catena cluster
 * inside a shared etcd: segments of {@code [A-Za-z0-9._-]} joined by single slashes, no leading or trailing slash,
 * so each key space has exactly one spelling. Immutable.
 *
 * @param endpoints {@code host:port} strings (IPv6 hosts in brackets), in the URL's order
 * @param prefix the key-space name, e.g. {@code catena/prod}
 */
public record EtcdUrl(List<String> endpoints, String prefix) {
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]+");
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+]");

  public EtcdUrl {
    endpoints = List.copyOf(endpoints);
  }

  /** Parses {@code url}; every problem is an EINVAL whose message names the part at fault. */
  public static EtcdUrl parse(String url) {
    String scheme = "etcd://";
    if (url == null || !url.startsWith(scheme)) {
      throw bad(url, "an etcd URL starts with etcd://");
    }
    String rest = url.substring(scheme.length());
    if (rest.contains("?") || rest.contains("#")) {
      throw bad(url, "etcd:// takes endpoints and a prefix; options (user, password, timeouts, limits) go in"
          + " kv.etcd.* keys");
    }
    if (rest.contains("@")) {
      throw bad(url, "credentials do not belong in the URL: set kv.etcd.user and kv.etcd.password");
    }
    int slash = rest.indexOf('/');
    String hosts = slash < 0 ? rest : rest.substring(0, slash);
    String prefix = slash < 0 ? "" : rest.substring(slash + 1);
    if (hosts.isEmpty()) {
      throw bad(url, "no endpoints: use etcd://host:port[,host:port...]/prefix");
    }
    List<String> endpoints = new ArrayList<>();
    for (String ep : hosts.split(",", -1)) {
      endpoints.add(endpoint(url, ep));
    }
    if (prefix.isEmpty()) {
      throw bad(url, "no prefix: the key space needs a name, e.g. etcd://%s/catena", hosts);
    }
    if (prefix.startsWith("/") || prefix.endsWith("/") || prefix.contains("//")) {
      throw bad(url, "prefix '%s' has an empty segment (no leading, trailing or double slash)", prefix);
    }
    for (String seg : prefix.split("/")) {
      if (!SEGMENT.matcher(seg).matches()) {
        throw bad(url, "prefix segment '%s' may only hold letters, digits, '.', '_' and '-'", seg);
      }
    }
    return new EtcdUrl(endpoints, prefix);
  }

  private static String endpoint(String url, String ep) {
    if (ep.isEmpty()) {
      throw bad(url, "empty endpoint in the endpoint list");
    }
    int colon = ep.lastIndexOf(':');
    if (colon < 0 || ep.endsWith("]")) {
      throw bad(url, "endpoint '%s' has no port (etcd's client port is usually 2379)", ep);
    }
    String host = ep.substring(0, colon);
    String port = ep.substring(colon + 1);
    if (!HOST.matcher(host).matches()) {
      throw bad(url, "endpoint '%s': bad host '%s' (IPv6 addresses go in brackets)", ep, host);
    }
    int p;
    try {
      p = Integer.parseInt(port);
    } catch (NumberFormatException e) {
      p = -1;
    }
    if (p < 1 || p > 65535) {
      throw bad(url, "endpoint '%s': port '%s' is not a number in 1..65535", ep, port);
    }
    return host + ":" + p;
  }

  private static CatenaException bad(String url, String format, Object... args) {
    return CatenaException.of(Errno.EINVAL, "kv engine URL '%s': %s", url, String.format(format, args));
  }
}
