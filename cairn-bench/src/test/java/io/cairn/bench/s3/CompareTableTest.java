package io.cairn.bench.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The comparison table: each target's figure, and its ratio to s3proxy's, from the figures each load wrote. */
class CompareTableTest {

    @Test
    void ratiosAreCairnOverS3proxyAndGapsStayEmpty() {
        Map<String, Map<String, Map<?, ?>>> results = new LinkedHashMap<>();
        results.put("s3proxy", Map.of(
                "4 KiB", Map.of("put_ops_s", 1000.0, "put_p99_ms", 50.0, "get_ops_s", 2000.0, "get_p99_ms", 30.0),
                "16 MiB", Map.of("put_mib_s", 300.0, "put_p99_ms", 1800.0, "get_mib_s", 1000.0, "get_p99_ms", 500.0)));
        results.put("Cairn rep3", Map.of(
                "4 KiB", Map.of("put_ops_s", 250.0, "put_p99_ms", 400.0, "get_ops_s", 2000.0, "get_p99_ms", 60.0),
                "16 MiB", Map.of("put_mib_s", 90.0, "put_p99_ms", 7000.0, "get_mib_s", 800.0, "get_p99_ms", 900.0)));
        String table = CompareCommand.table(results, 300.0);

        assertThat(table).startsWith("| load | s3proxy | Cairn rep3 | Cairn rep3 ÷ s3proxy |\n|---|---|---|---|\n");
        assertThat(table).contains("| 4 KiB PUT, ops/s (p99 ms) | 1000.0 (50) | 250.0 (400) | 0.25 |");
        assertThat(table).contains("| 4 KiB GET, ops/s (p99 ms) | 2000.0 (30) | 2000.0 (60) | 1.00 |");
        assertThat(table).contains("| 16 MiB PUT, MiB/s (p99 ms) | 300.0 (1800) | 90.0 (7000) | 0.30 |");
        assertThat(table).contains("| 64 KiB PUT, ops/s (p99 ms) |  |  |  |");
        assertThat(table).contains("Cairn rep3 16 MiB PUT ÷ disk: 0.30.");
    }

    @Test
    void theP99RowAt64InFlightIsCairnsP99OverS3proxys() {
        Map<String, Map<String, Map<?, ?>>> results = new LinkedHashMap<>();
        results.put("s3proxy", Map.of("4 KiB, 64 in flight", Map.of("get_ops_s", 2000.0, "get_p99_ms", 40.0)));
        results.put("Cairn rep3", Map.of("4 KiB, 64 in flight", Map.of("get_ops_s", 1000.0, "get_p99_ms", 100.0)));
        String table = CompareCommand.table(results, 300.0);
        assertThat(table).contains("| 4 KiB GET, 64 in flight, ops/s (p99 ms) | 2000.0 (40) | 1000.0 (100) | 0.50 |");
        assertThat(table).contains("| 4 KiB GET, 64 in flight, p99 ms | 40.0 | 100.0 | 2.50 |");
    }

    @Test
    void aTargetsErrorsAreShownBesideItsFigure() {
        Map<String, Map<String, Map<?, ?>>> results = new LinkedHashMap<>();
        results.put("s3proxy", Map.of("4 KiB", Map.of("mixed_ops_s", 1000.0, "mixed_p99_ms", 80.0, "mixed_errors", 1)));
        results.put("Cairn rep3", Map.of("4 KiB", Map.of("mixed_ops_s", 500.0, "mixed_p99_ms", 200.0, "mixed_errors", 0)));
        String table = CompareCommand.table(results, 300.0);
        assertThat(table).contains("| 4 KiB mixed (70% GET, 30% overwrite), ops/s (p99 ms) | 1000.0 (80), 1 errors | 500.0 (200) | 0.50 |");
    }
}
