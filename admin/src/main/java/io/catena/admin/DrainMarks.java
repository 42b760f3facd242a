package io.catena.admin;

import io.catena.common.CatenaException;
import io.catena.mgmtd.DrainState;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which targets drain, for the listings that show it beside everything else (list-targets, health). Asking is
 * admin-only: for a user's token the listings go on without the drain column. Stateless.
 */
final class DrainMarks {
  private DrainMarks() {}

  /** Every draining target's state, empty when none drains or the caller may not ask. */
  static List<DrainState> states(AdminSession s) {
    try {
      return s.drains().drainStatus(s.clusterId());
    } catch (CatenaException e) {
      return switch (e.errno()) {
        case EACCES, EPERM -> List.of();
        default -> throw e;
      };
    }
  }

  /** Draining target id to its phase (done, syncing, waiting, queued, blocked). */
  static Map<Long, String> phases(AdminSession s) {
    Map<Long, String> out = new LinkedHashMap<>();
    states(s).forEach(d -> out.put(d.targetId(), d.phase()));
    return out;
  }

  /** {@code view} with a {@code drain} entry when the target drains. */
  static Map<String, Object> withPhase(Map<String, Object> view, String phase) {
    if (phase != null) {
      view.put("drain", phase);
    }
    return view;
  }
}
