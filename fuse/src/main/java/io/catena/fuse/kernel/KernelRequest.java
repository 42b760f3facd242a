package io.catena.fuse.kernel;

import io.catena.fuse.RequestContext;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request read from {@code /dev/fuse} while it is being served: the caller's credentials from the request header
 * and the actions waiting for the kernel's INTERRUPT of it. Thread-safe: the reader serving it and the reader that
 * reads the INTERRUPT touch it concurrently.
 */
final class KernelRequest implements RequestContext {
  private static final Logger LOG = LoggerFactory.getLogger(KernelRequest.class);

  private final long unique;
  private final int opcode;
  private final int uid;
  private final int gid;
  private final int pid;
  private final GroupCache groupCache;
  private int[] groupIds;
  private volatile boolean interrupted;
  private List<Runnable> actions;

  KernelRequest(long unique, int opcode, int uid, int gid, int pid, GroupCache groupCache) {
    this.unique = unique;
    this.opcode = opcode;
    this.uid = uid;
    this.gid = gid;
    this.pid = pid;
    this.groupCache = groupCache;
  }

  @Override public long unique() {
    return unique;
  }

  @Override public int opcode() {
    return opcode;
  }

  @Override public int uid() {
    return uid;
  }

  @Override public int gid() {
    return gid;
  }

  @Override public int pid() {
    return pid;
  }

  @Override public synchronized int[] groups() {
    if (groupIds == null) {
      groupIds = groupCache.groups(pid);
    }
    return groupIds;
  }

  @Override public boolean isInterrupted() {
    return interrupted;
  }

  @Override public void onInterrupt(Runnable action) {
    synchronized (this) {
      if (!interrupted) {
        if (actions == null) {
          actions = new ArrayList<>(1);
        }
        actions.add(action);
        return;
      }
    }
    action.run();
  }

  /** The kernel's INTERRUPT: runs the waiting actions once, outside the lock (they may call back into this). */
  void interrupt() {
    List<Runnable> run;
    synchronized (this) {
      if (interrupted) {
        return;
      }
      interrupted = true;
      run = actions;
      actions = null;
    }
    if (run != null) {
      for (Runnable r : run) {
        try {
          r.run();
        } catch (RuntimeException e) {
          LOG.warn("interrupt action of request {} failed", unique, e);
        }
      }
    }
  }
}
