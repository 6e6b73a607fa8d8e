package io.cairn.core.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** CORS rules as S3 judges them: origins with a wildcard, methods, request headers, first match wins; what S3 refuses. */
class BucketCorsTest {

    private static final BucketCors.Rule SITE = new BucketCors.Rule("site", List.of("https://*.example.com"), List.of("GET", "PUT"),
            List.of("x-amz-*", "Content-Type"), List.of("ETag"), 600);
    private static final BucketCors.Rule ANYONE_READS = new BucketCors.Rule(null, List.of("*"), List.of("GET", "HEAD"), List.of(), List.of(),
            null);

    @Test
    void theFirstRuleThatNamesOriginMethodAndEveryHeaderWins() {
        List<BucketCors.Rule> rules = List.of(SITE, ANYONE_READS);
        assertThat(BucketCors.match(rules, "https://app.example.com", "PUT", List.of("content-type", "x-amz-date"))).contains(SITE);
        assertThat(BucketCors.match(rules, "https://app.example.com", "GET", List.of())).contains(SITE);
        assertThat(BucketCors.match(rules, "https://app.example.com", "PUT", List.of("authorization"))).as("a header no rule allows")
                .isEmpty();
        assertThat(BucketCors.match(rules, "http://app.example.com", "PUT", List.of())).as("another scheme").isEmpty();
        assertThat(BucketCors.match(rules, "http://evil.test", "GET", List.of())).contains(ANYONE_READS);
        assertThat(BucketCors.match(rules, "http://evil.test", "DELETE", List.of())).isEmpty();
        assertThat(SITE.anyOrigin("https://app.example.com")).isFalse();
        assertThat(ANYONE_READS.anyOrigin("http://evil.test")).isTrue();
        assertThat(BucketCors.headerList(" Content-Type ,X-Amz-Date,,")).containsExactly("content-type", "x-amz-date");
    }

    @Test
    void rulesRoundTripThroughTheMapsJson() {
        List<BucketCors.Rule> rules = List.of(SITE, ANYONE_READS);
        assertThat(BucketCors.parse(BucketCors.json(rules))).isEqualTo(rules);
    }

    @Test
    void whatS3RefusesIsRefused() {
        assertThatThrownBy(() -> new BucketCors.Rule(null, List.of("*"), List.of("PATCH"), List.of(), List.of(), null))
                .hasMessageContaining("unsupported HTTP method");
        assertThatThrownBy(() -> new BucketCors.Rule(null, List.of(), List.of("GET"), List.of(), List.of(), null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BucketCors.Rule(null, List.of("https://*.*.com"), List.of("GET"), List.of(), List.of(), null))
                .hasMessageContaining("more than one wildcard");
        assertThatThrownBy(() -> new BucketCors.Rule(null, List.of("*"), List.of("GET"), List.of("*-*"), List.of(), null))
                .hasMessageContaining("more than one wildcard");
        assertThatThrownBy(() -> new BucketCors.Rule(null, List.of("*"), List.of("GET"), List.of(), List.of(), -1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BucketCors.json(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BucketCors.json(Collections.nCopies(BucketCors.RULES_MAX + 1, ANYONE_READS)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BucketCors.parse("[{\"allowed_origins\": [\"*\"], \"allowed_methods\": [\"TRACE\"]}]"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("TRACE");
        assertThatThrownBy(() -> BucketCors.parse("not json")).isInstanceOf(IllegalArgumentException.class);
    }
}
