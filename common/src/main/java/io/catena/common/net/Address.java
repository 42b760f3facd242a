package io.catena.common.net;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import java.net.InetSocketAddress;
import java.util.Locale;

/**
 * A service address, written {@code tcp://host:port} (later {@code rdma://}). A bare {@code host:port} means tcp.
 * Immutable.
 */
public record Address(String scheme, String host, int port) {

  public Address {
    if (port < 0 || port > 65535) {
      throw CatenaException.of(Errno.EINVAL, "port out of range: %d", port);
    }
    if (host == null || host.isEmpty()) {
      throw CatenaException.of(Errno.EINVAL, "address needs a host");
    }
  }

  public static Address tcp(String host, int port) {
    return new Address("tcp", host, port);
  }

  public static Address parse(String text) {
    String t = text.trim();
    String scheme = "tcp";
    int sep = t.indexOf("://");
    if (sep >= 0) {
      scheme = t.substring(0, sep).toLowerCase(Locale.ROOT);
      t = t.substring(sep + 3);
    }
    if (!scheme.equals("tcp")) {
      throw CatenaException.of(Errno.EINVAL, "unsupported transport '%s' in address '%s' (use tcp://host:port)",
          scheme, text);
    }
    int colon = t.lastIndexOf(':');
    if (colon <= 0 || colon == t.length() - 1) {
      throw CatenaException.of(Errno.EINVAL, "not an address: '%s' (expected tcp://host:port)", text);
    }
    String host = t.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(t.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw CatenaException.of(Errno.EINVAL, "bad port in address '%s'", text);
    }
    return new Address(scheme, host, port);
  }

  public InetSocketAddress toSocketAddress() {
    return new InetSocketAddress(host, port);
  }

  @Override
  public String toString() {
    return scheme + "://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
