package io.cairn.core.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BucketLifecycleTest {

    private static BucketLifecycle.Rule expireAfter(String prefix, int days) {
        return new BucketLifecycle.Rule("r-" + prefix, true, prefix, null, null, null, null, days, null, null, null, null);
    }

    private static long at(String instant) {
        return Instant.parse(instant).toEpochMilli();
    }

    @Test
    void daysCountFromTheWriteAndRoundUpToTheNextMidnightUtc() {
        BucketLifecycle.Rule r = expireAfter("logs/", 1);
        assertThat(r.expiresAtMillis(at("2026-12-06T17:30:00Z"), BucketLifecycle.DAY_MILLIS)).isEqualTo(at("2026-12-08T00:00:00Z"));
        assertThat(r.expiresAtMillis(at("2026-12-06T00:00:00Z"), BucketLifecycle.DAY_MILLIS)).isEqualTo(at("2026-12-07T00:00:00Z"));
        // A test's short day is not rounded.
        assertThat(r.expiresAtMillis(1_000, 2_000)).isEqualTo(3_000);
    }

    @Test
    void aRuleSelectsByPrefixTagsAndSize() {
        BucketLifecycle.Rule r = new BucketLifecycle.Rule("r", true, "a/", null, Map.of("k", "v"), 10L, 100L, 1, null, null, null, null);
        assertThat(r.selects("a/x", 50, Map.of("k", "v", "other", "1"))).isTrue();
        assertThat(r.selects("b/x", 50, Map.of("k", "v"))).as("prefix").isFalse();
        assertThat(r.selects("a/x", 50, Map.of("k", "w"))).as("tag value").isFalse();
        assertThat(r.selects("a/x", 50, Map.of())).as("tag missing").isFalse();
        assertThat(r.selects("a/x", 10, Map.of("k", "v"))).as("size not greater").isFalse();
        assertThat(r.selects("a/x", 100, Map.of("k", "v"))).as("size not less").isFalse();
    }

    @Test
    void theSoonestOfTheSelectingRulesDecidesAndADisabledRuleNone() {
        BucketLifecycle.Rule disabled = new BucketLifecycle.Rule("off", false, "", null, null, null, null, 1, null, null, null, null);
        List<BucketLifecycle.Rule> rules = List.of(expireAfter("", 5), expireAfter("logs/", 2), disabled);
        assertThat(BucketLifecycle.expiresAtMillis(rules, "logs/x", 1, 0, Map.of(), 1000)).isEqualTo(2000);
        assertThat(BucketLifecycle.expiresAtMillis(rules, "data/x", 1, 0, Map.of(), 1000)).isEqualTo(5000);
        assertThat(BucketLifecycle.expiresAtMillis(List.of(disabled), "x", 1, 0, Map.of(), 1000)).isEqualTo(Long.MAX_VALUE);
        BucketLifecycle.Rule date = new BucketLifecycle.Rule("d", true, "", null, null, null, null, null, "2027-01-01T00:00:00Z", null, null,
                null);
        assertThat(date.expiresAtMillis(at("2026-12-06T17:30:00Z"), BucketLifecycle.DAY_MILLIS)).isEqualTo(at("2027-01-01T00:00:00Z"));
    }

    @Test
    void uploadsAreAbortedByPrefixAfterTheirDays() {
        BucketLifecycle.Rule r = new BucketLifecycle.Rule("u", true, "up/", null, null, null, null, null, null, null, 3, null);
        assertThat(r.abortsAtMillis("up/x", 1_000, 1_000)).isEqualTo(4_000);
        assertThat(r.abortsAtMillis("other", 1_000, 1_000)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void rulesS3RefusesAreRefused() {
        assertThatThrownBy(() -> expireAfter("", 0)).hasMessageContaining("positive");
        assertThatThrownBy(() -> new BucketLifecycle.Rule("x", true, "", null, null, null, null, null, null, null, null, null))
                .hasMessageContaining("at least one action");
        assertThatThrownBy(() -> new BucketLifecycle.Rule("x", true, "", null, null, null, null, null, "2027-01-01T10:00:00Z", null, null,
                null)).hasMessageContaining("midnight");
        assertThatThrownBy(() -> new BucketLifecycle.Rule("x", true, "", null, Map.of("k", "v"), null, null, null, null, null, 3, null))
                .hasMessageContaining("AbortIncompleteMultipartUpload");
        assertThatThrownBy(() -> BucketLifecycle.checked(List.of(expireAfter("a", 1), new BucketLifecycle.Rule("r-a", true, "b", null, null,
                null, null, 1, null, null, null, null)))).hasMessageContaining("unique");
        List<BucketLifecycle.Rule> rules = List.of(expireAfter("a/", 1));
        assertThat(BucketLifecycle.parse(BucketLifecycle.json(rules))).isEqualTo(rules);
    }
}
