package io.catena.mgmtd.exports;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Status;
import java.util.List;

/** An exports file that does not parse: every error, each starting with its line number. Immutable. */
public final class ExportRulesException extends CatenaException {
  private final List<String> errors;

  public ExportRulesException(List<String> errors) {
    super(Status.of(Errno.EINVAL, "%s", String.join("\n", errors)));
    this.errors = List.copyOf(errors);
  }

  /** E.g. {@code "line 3: 'ro,rx': unknown option 'rx' (known: ...)"}. */
  public List<String> errors() {
    return errors;
  }
}
