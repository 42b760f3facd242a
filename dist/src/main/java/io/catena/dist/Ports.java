package io.catena.dist;

import io.catena.common.net.Address;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * The ports a single-machine cluster's processes got on their first start, kept in its data directory so a restart
 * brings every node back at the address mgmtd knows it by. Not thread-safe: used by the starting thread only.
 */
final class Ports {
  private final Path file;
  private final Properties saved = new Properties();

  Ports(Path file) {
    this.file = file;
    if (Files.exists(file)) {
      try (Reader r = Files.newBufferedReader(file)) {
        saved.load(r);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** {@code requested}, or with port 0 the port {@code name} had last time (if any). */
  String reuse(String name, String requested) {
    Address a = Address.parse(requested);
    String port = saved.getProperty(name);
    return a.port() == 0 && port != null ? new Address(a.scheme(), a.host(), Integer.parseInt(port)).toString()
        : requested;
  }

  /** {@code host:0} becomes {@code host:P} when {@code name} had port P last time (for HTTP endpoints). */
  String reuseHostPort(String name, String requested) {
    String port = saved.getProperty(name);
    return requested.endsWith(":0") && port != null
        ? requested.substring(0, requested.length() - 1) + port : requested;
  }

  void save(String name, int port) {
    saved.setProperty(name, Integer.toString(port));
    try (Writer w = Files.newBufferedWriter(file)) {
      saved.store(w, "ports of the processes of this cluster, reused on restart");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
