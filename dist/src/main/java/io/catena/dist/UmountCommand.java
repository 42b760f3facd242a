package io.catena.dist;

import io.catena.fuse.FuseMount;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code catena umount MOUNTPOINT}: detaches a Catena FUSE mount, also one whose daemon is gone (the mount point
 * then answers "Transport endpoint is not connected"). A live daemon sees its connection end and exits.
 */
@Command(name = "umount", description = "Unmount a Catena FUSE mount, also one whose daemon died.")
final class UmountCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "where the file system is mounted")
  Path mountpoint;

  @Override
  public Integer call() {
    FuseMount.forceUnmount(mountpoint);
    spec.commandLine().getOut().println("unmounted " + mountpoint.toAbsolutePath().normalize());
    return 0;
  }
}
