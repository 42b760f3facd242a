package io.catena.dist;

import picocli.CommandLine.Command;

/**
 * {@code catena admin ...}: the operator commands of the admin module. {@link io.catena.admin.AdminCli} carries the
 * subcommands, options and help; picocli merges the {@code @Command} annotations of the class hierarchy, and a
 * subcommand listed in Main needs its own with the name.
 */
@Command(name = "admin")
final class AdminCommand extends io.catena.admin.AdminCli {}
