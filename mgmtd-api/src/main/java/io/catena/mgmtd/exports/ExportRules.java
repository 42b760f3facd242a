package io.catena.mgmtd.exports;

import io.catena.common.cluster.UserAccount;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Optional;

/**
 * A parsed exports file: its rules in file order (the first that matches a client's address, token user and mounted
 * directory decides, as in MooseFS), the text they came from and a version that changes with the text. Immutable.
 *
 * @param version derived from the text (SHA-256), so every mgmtd serving the same file serves the same version and
 *     a restart does not make servers re-fetch unchanged rules; never 0 (0 means "nothing yet" on the wire)
 */
public record ExportRules(List<ExportRule> rules, String text, long version) {

  public ExportRules {
    rules = List.copyOf(rules);
  }

  /** Parses {@code text}; {@link ExportRulesException} lists every bad line. */
  public static ExportRules parse(String text) {
    return new ExportRules(ExportRulesParser.parse(text), text, versionOf(text));
  }

  /** The first rule whose addresses match a client at {@code address}; empty: the client is refused. */
  public Optional<ExportRule> match(InetAddress address) {
    for (ExportRule r : rules) {
      if (r.addresses().contains(address)) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }

  /**
   * The rule that governs a client at {@code address} with token user {@code user} that mounted {@code subdir}
   * (normalised): as MooseFS chooses, the first in file order that matches the address, admits the user
   * ({@code users=}) and admits the subdirectory ({@link ExportRule#admitsSubdir}); empty: refused. A null
   * {@code subdir} (a service that does not know the mount's, storage) admits every rule's path.
   */
  public Optional<ExportRule> match(InetAddress address, Optional<UserAccount> user, String subdir) {
    for (ExportRule r : rules) {
      if (r.addresses().contains(address) && r.admits(user) && (subdir == null || r.admitsSubdir(subdir))) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }

  static long versionOf(String text) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      long v = ByteBuffer.wrap(h).getLong() & Long.MAX_VALUE;
      return v == 0 ? 1 : v;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
