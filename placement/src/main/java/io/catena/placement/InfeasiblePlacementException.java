package io.catena.placement;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Status;

/** A well-formed request that no placement satisfies; carries the explanation and the nearest feasible requests. */
public final class InfeasiblePlacementException extends CatenaException {
  private final transient PlacementRequest.Infeasibility infeasibility;

  public InfeasiblePlacementException(PlacementRequest.Infeasibility infeasibility) {
    super(Status.of(Errno.EINVAL, "%s", infeasibility.describe()));
    this.infeasibility = infeasibility;
  }

  public PlacementRequest.Infeasibility infeasibility() {
    return infeasibility;
  }
}
