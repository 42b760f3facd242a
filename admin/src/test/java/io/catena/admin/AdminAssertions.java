package io.catena.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.catena.admin.AdminTestCluster.Result;
import java.util.regex.Pattern;

/** What every admin command's output must look like: a JSON document on success, one error line on refusal. */
final class AdminAssertions {
  static final ObjectMapper JSON = new ObjectMapper();
  /** The shape of every error line: catena admin: <what> (<errno>): <what to do>. */
  private static final Pattern ERROR_LINE = Pattern.compile("catena admin: .+ \\(E[A-Z]+\\): .+\n");

  private AdminAssertions() {}

  /** A successful command's --json output, parsed. */
  static JsonNode json(Result r) throws Exception {
    assertEquals(0, r.exit(), r::toString);
    return JSON.readTree(r.out());
  }

  /** A refusal: the exit code, exactly one error line, its errno and a part of its text. */
  static void refused(Result r, int exit, String errno, String part) {
    assertEquals(exit, r.exit(), r::toString);
    assertTrue(ERROR_LINE.matcher(r.err()).matches(), () -> "not one error line: " + r);
    assertTrue(r.err().contains("(" + errno + ")"), r::toString);
    assertTrue(r.err().contains(part), () -> "'" + part + "' missing in " + r);
  }
}
