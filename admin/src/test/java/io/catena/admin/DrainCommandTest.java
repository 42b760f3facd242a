package io.catena.admin;

import static io.catena.admin.AdminAssertions.json;
import static io.catena.admin.AdminAssertions.refused;
import static io.catena.admin.AdminTestCluster.CLUSTER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.catena.admin.AdminTestCluster.Result;
import io.catena.common.cluster.LocalTargetState;
import io.catena.mgmtd.ChainSpec;
import io.catena.mgmtd.TargetSpec;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code catena admin drain} against a real mgmtd over RPC: the refusal that says why, marking, the status in tables
 * and JSON, the drain column of list-targets and the line in health, cancelling, and usage errors.
 */
class DrainCommandTest {

  /** Storage nodes 10001-10003 with chain 1 = [11, 21, 31], all serving. */
  private static AdminTestCluster cluster() {
    AdminTestCluster c = new AdminTestCluster();
    c.registerStorage(10001, 10002, 10003);
    c.mgmtd.createTargets(CLUSTER, List.of(new TargetSpec(11, 10001, 0), new TargetSpec(21, 10002, 0),
        new TargetSpec(31, 10003, 0)));
    c.mgmtd.uploadChains(CLUSTER, List.of(new ChainSpec(1, List.of(11L, 21L, 31L))));
    for (long n = 10001; n <= 10003; n++) {
      c.heartbeat(n, LocalTargetState.UPTODATE);
    }
    c.advance(Duration.ofSeconds(1));
    return c;
  }

  @Test
  void drain_refusedWithoutRoom_thenMarksShowsAndCancels() throws Exception {
    try (AdminTestCluster c = cluster()) {
      refused(c.run("drain", "11"), ExitCodes.REFUSED, "ENOSPC",
          "its chain 1 has replicas on nodes [10001, 10002, 10003]");
      assertEquals(0, json(c.run("drain", "--status", "--json")).get("draining").size());

      c.registerStorage(10004);
      c.heartbeat(10004, LocalTargetState.UPTODATE);
      Result marked = c.run("drain", "11");
      assertEquals(0, marked.exit(), marked::toString);
      assertTrue(marked.out().lines().anyMatch(l -> l.matches("11 +10001 +1 +queued .*")), marked::toString);

      c.advance(Duration.ofSeconds(1)); // mgmtd's tick adds the replacement
      JsonNode st = json(c.run("drain", "--status", "--json"));
      assertEquals(false, st.get("all_done").asBoolean());
      JsonNode d = st.get("draining").get(0);
      assertEquals(11, d.get("target_id").asLong());
      assertEquals("waiting", d.get("phase").asText());
      long rep = d.get("replacement_target_id").asLong();
      assertEquals(10004, c.routing().target(rep).orElseThrow().nodeId());

      Result list = c.run("list-targets");
      assertTrue(list.out().lines().anyMatch(l -> l.matches("11 +10001 .* waiting")), list::toString);
      assertTrue(list.out().contains("1 draining"), list::toString);
      assertEquals("waiting", json(c.run("list-targets", "--json")).get("targets").get(0).get("drain").asText());
      Result health = c.run("health");
      assertTrue(health.out().contains("1 draining targets: 0 done, 1 moving"), health::toString);

      Result cancelled = c.run("drain", "--cancel", "11", "--json");
      assertEquals(0, json(cancelled).get("draining").size());
      assertTrue(c.routing().chain(1).orElseThrow().targetIds().contains(rep),
          "a replacement already added stays as an extra replica");
    }
  }

  @Test
  void drain_usageErrors_areExitTwo() {
    try (AdminTestCluster c = cluster()) {
      assertEquals(ExitCodes.USAGE, c.run("drain").exit());
      assertEquals(ExitCodes.USAGE, c.run("drain", "--status", "11").exit());
      refused(c.run("drain", "--node", "424242"), ExitCodes.REFUSED, "ENOENT", "unknown storage node 424242");
    }
  }
}
