package io.catena.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PromTextTest {
  @Test
  void parsesNamesLabelsEscapesAndSpecialValues_skippingCommentsAndBadLines() {
    String text = """
        # HELP catena_rpc_server_seconds RPC calls
        # TYPE catena_rpc_server_seconds histogram
        catena_rpc_server_seconds_bucket{method="Read",role="storage",le="0.001"} 12
        catena_rpc_server_seconds_bucket{method="Read",role="storage",le="+Inf"} 14
        catena_rpc_server_seconds_sum{method="Read",role="storage"} 0.0125
        weird{path="a \\"b\\" c\\\\d",line="x\\ny"} 1.5E3 1700000000000
        up 1
        broken{oops 3
        nan_gauge NaN
        """;
    List<Sample> s = PromText.parse(text);
    assertEquals(6, s.size());
    assertEquals(new Sample("catena_rpc_server_seconds_bucket", Map.of("method", "Read", "role", "storage", "le",
        "0.001"), 12), s.get(0));
    assertEquals("+Inf", s.get(1).label("le"));
    assertEquals(0.0125, s.get(2).value());
    assertEquals("a \"b\" c\\d", s.get(3).label("path"));
    assertEquals("x\ny", s.get(3).label("line"));
    assertEquals(1500.0, s.get(3).value());
    assertEquals(new Sample("up", Map.of(), 1), s.get(4));
    assertTrue(Double.isNaN(s.get(5).value()));
  }

  @Test
  void pushSumsSeriesByLabels() {
    Push p = new Push("x", "storage", "1", "h", 0, PromText.parse("""
        catena_storage_data_bytes_total{op="read",target="1"} 10
        catena_storage_data_bytes_total{op="read",target="2"} 5
        catena_storage_data_bytes_total{op="write",target="1"} 7
        """));
    assertEquals(15.0, p.sum("catena_storage_data_bytes_total", "op", "read"));
    assertEquals(22.0, p.sum("catena_storage_data_bytes_total"));
  }
}
