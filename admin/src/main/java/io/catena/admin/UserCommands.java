package io.catena.admin;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.UserAccount;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Users and their tokens: add (prints the new token once), list, remove, rotate or revoke a token. mgmtd keeps only
 * a token's hash, so a lost token cannot be shown again: rotate it.
 */
final class UserCommands {
  private UserCommands() {}

  /**
   * Writes a token to a new file readable by its owner only (0600 from the start, never wider), or prints it.
   * An existing file is refused: it may hold the only copy of another token.
   */
  static void deliverToken(AdminCall call, String token, Path file) {
    if (file == null) {
      call.out().println(token);
      call.out().flush();
      return;
    }
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (FileAlreadyExistsException e) {
      throw CatenaException.of(Errno.EEXIST, "token file %s exists; the new token was NOT saved: rotate it again "
          + "with another --token-out", file);
    } catch (IOException e) {
      throw CatenaException.of(Errno.EIO, "cannot create token file %s (%s); the new token was NOT saved", file,
          e.getMessage());
    }
    try {
      Files.writeString(file, token + "\n", StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
    } catch (IOException e) {
      throw CatenaException.of(Errno.EIO, "cannot write token file %s (%s)", file, e.getMessage());
    }
    call.err().println("token written to " + file + " (mode 0600)");
    call.err().flush();
  }

  /** Fails before the cluster changes if the token file cannot be created later. */
  static void checkTokenOut(Path file) {
    if (file != null && Files.exists(file)) {
      throw CatenaException.of(Errno.EEXIST, "token file %s exists; choose a new file (it may hold another token)",
          file);
    }
  }

  @Command(name = "user-add", sortOptions = false, description = {"Add a user and print its token (shown once).",
      "Requests made with the token act as this user: meta checks POSIX permissions with its uid, gid and groups; "
          + "--admin allows admin commands (and acting for any identity, as the FUSE daemon does)."},
      footer = ExitCodes.FOOTER)
  static final class UserAdd extends AdminCall.Remote {
    @Option(names = "--name", paramLabel = "NAME", required = true, description = "1-32 of [a-z0-9_.-]")
    String name;

    @Option(names = "--uid", paramLabel = "UID", required = true, description = "user id (0 = root)")
    long uid;

    @Option(names = "--gid", paramLabel = "GID", description = "primary group id (default: the uid)")
    Long gid;

    @Option(names = "--groups", paramLabel = "GID", split = ",", description = "supplementary groups, comma-separated")
    List<Long> groups = new ArrayList<>();

    @Option(names = "--admin", description = "may run admin commands")
    boolean admin;

    @Option(names = "--token-out", paramLabel = "FILE", description = "write the token to this new file (0600) "
        + "instead of printing it")
    Path tokenOut;

    @Override
    int run(AdminSession s) {
      checkTokenOut(tokenOut);
      UserAccount u;
      try {
        u = new UserAccount(uid, name, gid == null ? uid : gid, groups, admin);
      } catch (IllegalArgumentException e) {
        throw CatenaException.of(Errno.EINVAL, "%s", e.getMessage());
      }
      String token = s.mgmtd().addUser(s.clusterId(), u);
      if (json()) {
        var doc = Views.user(u);
        if (tokenOut == null) {
          doc.put("token", token);
        } else {
          deliverToken(this, token, tokenOut);
          doc.put("token_file", tokenOut.toString());
        }
        out().println(Json.write(doc));
        out().flush();
      } else {
        deliverToken(this, token, tokenOut);
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "user-list", description = "List users (never their tokens).", footer = ExitCodes.FOOTER)
  static final class UserList extends AdminCall.Remote {
    @Override
    int run(AdminSession s) {
      List<UserAccount> us = s.mgmtd().listUsers(s.clusterId()).stream()
          .sorted(Comparator.comparingLong(UserAccount::uid)).toList();
      Table t = new Table("UID", "NAME", "GID", "GROUPS", "ADMIN");
      for (UserAccount u : us) {
        t.row(u.uid(), u.name(), u.gid(), u.groups().isEmpty() ? "-" : u.groups().stream().map(String::valueOf)
            .reduce((a, b) -> a + "," + b).orElse(""), u.admin() ? "yes" : "no");
      }
      t.footer(us.size() + " users");
      print(json(), Views.obj("users", us.stream().map(Views::user).toList()), t);
      return ExitCodes.OK;
    }
  }

  @Command(name = "user-remove", description = "Remove a user; its token stops working at once.",
      footer = ExitCodes.FOOTER)
  static final class UserRemove extends AdminCall.Remote {
    @Option(names = "--uid", paramLabel = "UID", required = true, description = "user id")
    long uid;

    @Override
    int run(AdminSession s) {
      s.mgmtd().removeUser(s.clusterId(), uid);
      print(json(), Views.obj("removed_uid", uid), new Table("UID", "REMOVED").row(uid, "yes"));
      return ExitCodes.OK;
    }
  }

  @Command(name = "user-set-token", description = {"Rotate a user's token: print a new one; the old one stops working "
      + "at once.", "With --revoke the new token is not shown, so the user has none that works until the next "
      + "rotation."}, footer = ExitCodes.FOOTER)
  static final class UserSetToken extends AdminCall.Remote {
    @Option(names = "--uid", paramLabel = "UID", required = true, description = "user id")
    long uid;

    @Option(names = "--revoke", description = "revoke the current token without handing out a new one")
    boolean revoke;

    @Option(names = "--token-out", paramLabel = "FILE", description = "write the new token to this new file (0600)")
    Path tokenOut;

    @Override
    int run(AdminSession s) {
      if (!revoke) {
        checkTokenOut(tokenOut);
      }
      String token = s.mgmtd().setUserToken(s.clusterId(), uid);
      if (revoke) {
        print(json(), Views.obj("uid", uid, "revoked", true), new Table("UID", "TOKEN").row(uid, "revoked"));
      } else if (json()) {
        if (tokenOut != null) {
          deliverToken(this, token, tokenOut);
        }
        out().println(Json.write(tokenOut == null ? Views.obj("uid", uid, "token", token)
            : Views.obj("uid", uid, "token_file", tokenOut.toString())));
        out().flush();
      } else {
        deliverToken(this, token, tokenOut);
      }
      return ExitCodes.OK;
    }
  }
}
