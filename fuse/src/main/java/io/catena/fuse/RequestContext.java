package io.catena.fuse;

/**
 * Who asked, for one request: the caller's uid, gid and pid as the kernel reports them, and its supplementary
 * groups (read from {@code /proc/<pid>/status} on first use and cached briefly, since the kernel does not send
 * them). Permission checks belong to the file system (Catena's meta), not the kernel: the mount does not use
 * {@code default_permissions}. Safe to read from any thread while the request is being served; the interrupt
 * flag may flip at any time.
 */
public interface RequestContext {
  /** The kernel's id of this request. */
  long unique();

  /** The FUSE opcode of this request. */
  int opcode();

  int uid();

  int gid();

  /** The calling thread group's pid; 0 for requests the kernel makes on its own (forget, some releases). */
  int pid();

  /** Supplementary group ids of the caller (may be empty; never includes a lookup failure: a vanished process
   * has none). */
  int[] groups();

  /** True when the caller is in group {@code gid}: its primary gid or one of its supplementary groups. */
  default boolean inGroup(int gid) {
    if (gid == gid()) {
      return true;
    }
    for (int g : groups()) {
      if (g == gid) {
        return true;
      }
    }
    return false;
  }

  /** True once the kernel has asked to interrupt this request (the caller got a signal). A long operation may
   * then stop and throw {@code EINTR}. */
  boolean isInterrupted();

  /** Runs {@code action} once when this request is interrupted (at once if it already was). The action must be
   * quick: it runs on a reader thread. */
  void onInterrupt(Runnable action);
}
