package io.catena.rpc.auth;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.rpc.RpcConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Where a process's own token comes from, and how token files are written. Stateless. */
public final class AuthTokens {
  private AuthTokens() {}

  /** {@code rpc.auth_token}, else the first line of {@code rpc.auth_token_file}, else empty (no token). */
  public static String clientToken(Config config) {
    String t = config.get(RpcConfig.AUTH_TOKEN).strip();
    if (!t.isEmpty()) {
      return t;
    }
    String file = config.get(RpcConfig.AUTH_TOKEN_FILE);
    return file.isEmpty() ? "" : read(Path.of(file));
  }

  /** The first line of a token file, trimmed; a precise error when it is missing, unreadable or empty. */
  public static String read(Path file) {
    try {
      String t = Files.readString(file, StandardCharsets.UTF_8).lines().findFirst().orElse("").strip();
      if (t.isEmpty()) {
        throw CatenaException.of(Errno.EINVAL, "token file %s is empty", file);
      }
      return t;
    } catch (java.nio.file.NoSuchFileException e) {
      throw CatenaException.of(Errno.ENOENT, "token file %s does not exist", file);
    } catch (IOException e) {
      throw CatenaException.of(Errno.EACCES, "cannot read token file %s: %s", file, e.getMessage());
    }
  }

  /** Writes {@code token} to {@code file} readable by its owner only (created 0600 before the secret is in it). */
  public static void write(Path file, String token) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.deleteIfExists(tmp);
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tmp, token + "\n", StandardCharsets.UTF_8);
      Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw CatenaException.of(Errno.EIO, "cannot write token file %s: %s", file, e.getMessage());
    }
  }
}
