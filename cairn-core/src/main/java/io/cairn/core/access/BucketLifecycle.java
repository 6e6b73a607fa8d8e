package io.cairn.core.access;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.type.TypeReference;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A bucket's lifecycle configuration, as S3 has it: rules that expire objects a number of days
 * after they were written (or from a date on) and abort multipart uploads left incomplete, each
 * for the objects its filter selects (a key prefix, tags, a size range). Versioning is not
 * implemented, so a rule's noncurrent-version and expired-delete-marker actions have nothing to act
 * on; transitions to other storage classes are not kept at all. Kept in the cluster map as JSON
 * ({@link #json}); the lifecycle pass of the nodes carries the rules out.
 */
public final class BucketLifecycle {

    /** S3's limit on rules per bucket. */
    public static final int RULES_MAX = 1000;
    public static final long DAY_MILLIS = 24L * 3600 * 1000;

    /**
     * One rule. {@code legacyPrefix}: the prefix came as the rule's own {@code Prefix} element (the
     * form before filters), so that it is given back in that form. Null numbers are absent actions.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Rule(
            @JsonProperty("id") String id,
            @JsonProperty("enabled") boolean enabled,
            @JsonProperty("prefix") String prefix,
            @JsonProperty("legacy_prefix") Boolean legacyPrefix,
            @JsonProperty("tags") Map<String, String> tags,
            @JsonProperty("size_greater_than") Long sizeGreaterThan,
            @JsonProperty("size_less_than") Long sizeLessThan,
            @JsonProperty("expiration_days") Integer expirationDays,
            @JsonProperty("expiration_date") String expirationDate,
            @JsonProperty("expired_object_delete_marker") Boolean expiredObjectDeleteMarker,
            @JsonProperty("abort_incomplete_days") Integer abortIncompleteDays,
            @JsonProperty("noncurrent_days") Integer noncurrentDays) {

        /** @throws IllegalArgumentException with the reason S3 would give, for a rule it refuses */
        public Rule {
            prefix = prefix == null ? "" : prefix;
            tags = tags == null || tags.isEmpty() ? null : Map.copyOf(tags);
            if (id != null && id.length() > 255) {
                throw new IllegalArgumentException("a lifecycle rule's ID is at most 255 characters");
            }
            if (expirationDays != null && expirationDays < 1) {
                throw new IllegalArgumentException("'Days' for Expiration action must be a positive integer");
            }
            if (expirationDays != null && expirationDate != null) {
                throw new IllegalArgumentException("an Expiration action has Days or a Date, not both");
            }
            if (expirationDate != null) {
                Instant at;
                try {
                    at = Instant.parse(expirationDate);
                } catch (DateTimeParseException e) {
                    throw new IllegalArgumentException("an Expiration Date is an ISO 8601 time: " + expirationDate);
                }
                if (!at.equals(at.truncatedTo(ChronoUnit.DAYS))) {
                    throw new IllegalArgumentException("'Date' must be at midnight GMT");
                }
            }
            if (Boolean.TRUE.equals(expiredObjectDeleteMarker) && (expirationDays != null || expirationDate != null)) {
                throw new IllegalArgumentException("ExpiredObjectDeleteMarker cannot be specified with Days or Date in a Lifecycle Expiration Policy");
            }
            if (abortIncompleteDays != null && abortIncompleteDays < 1) {
                throw new IllegalArgumentException("'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer");
            }
            if (abortIncompleteDays != null && (tags != null || sizeGreaterThan != null || sizeLessThan != null)) {
                throw new IllegalArgumentException("AbortIncompleteMultipartUpload cannot be specified with Tags or an object size");
            }
            if (noncurrentDays != null && noncurrentDays < 1) {
                throw new IllegalArgumentException("'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer");
            }
            if (sizeGreaterThan != null && sizeGreaterThan < 0 || sizeLessThan != null && sizeLessThan < 1) {
                throw new IllegalArgumentException("ObjectSizeGreaterThan is 0 or more and ObjectSizeLessThan 1 or more");
            }
            if (sizeGreaterThan != null && sizeLessThan != null && sizeLessThan <= sizeGreaterThan) {
                throw new IllegalArgumentException("ObjectSizeLessThan must be greater than ObjectSizeGreaterThan");
            }
            if (expirationDays == null && expirationDate == null && expiredObjectDeleteMarker == null && abortIncompleteDays == null
                    && noncurrentDays == null) {
                throw new IllegalArgumentException("a lifecycle rule needs at least one action");
            }
        }

        /** Whether the rule's filter selects an object of {@code key}, {@code size} and {@code objectTags}. */
        public boolean selects(String key, long size, Map<String, String> objectTags) {
            if (!key.startsWith(prefix)) return false;
            if (tags != null && !tags.entrySet().stream().allMatch(t -> t.getValue().equals(objectTags.get(t.getKey())))) return false;
            if (sizeGreaterThan != null && size <= sizeGreaterThan) return false;
            return sizeLessThan == null || size < sizeLessThan;
        }

        /**
         * When an object written at {@code lastModifiedMillis} expires under this rule, or
         * {@link Long#MAX_VALUE} for never. With days of {@link #DAY_MILLIS} the time is rounded up
         * to the next midnight UTC, as S3 rounds it; a shorter day (for tests) is not rounded.
         */
        @JsonIgnore
        public long expiresAtMillis(long lastModifiedMillis, long dayMillis) {
            if (!enabled) return Long.MAX_VALUE;
            if (expirationDate != null) return Instant.parse(expirationDate).toEpochMilli();
            if (expirationDays == null) return Long.MAX_VALUE;
            long at = lastModifiedMillis + expirationDays * dayMillis;
            return dayMillis == DAY_MILLIS ? nextMidnight(at) : at;
        }

        /** When an upload begun at {@code initiatedMillis} is aborted under this rule, or {@link Long#MAX_VALUE} for never. */
        @JsonIgnore
        public long abortsAtMillis(String key, long initiatedMillis, long dayMillis) {
            if (!enabled || abortIncompleteDays == null || !key.startsWith(prefix)) return Long.MAX_VALUE;
            long at = initiatedMillis + abortIncompleteDays * dayMillis;
            return dayMillis == DAY_MILLIS ? nextMidnight(at) : at;
        }
    }

    private static long nextMidnight(long millis) {
        Instant t = Instant.ofEpochMilli(millis);
        Instant midnight = t.atZone(ZoneOffset.UTC).toLocalDate().atStartOfDay(ZoneOffset.UTC).toInstant();
        return midnight.equals(t) ? millis : midnight.plus(1, ChronoUnit.DAYS).toEpochMilli();
    }

    private BucketLifecycle() {}

    /** Configurations parsed lately, by their JSON: a gateway reads a bucket's rules on each request about its objects. */
    private static final Map<String, List<Rule>> PARSED = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<String, List<Rule>>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, List<Rule>> eldest) {
                    return size() > 256;
                }
            });

    /** The rules {@code json} holds, checked (immutable; parsed once while it is among the latest read). */
    public static List<Rule> parse(String json) {
        List<Rule> rules = PARSED.get(json);
        if (rules == null) {
            rules = checked(RuleListJson.read(json, new TypeReference<List<Rule>>() {}, "lifecycle configuration"));
            PARSED.put(json, rules);
        }
        return rules;
    }

    /** {@code rules}, checked as S3 checks a configuration: 1 to {@link #RULES_MAX} rules, IDs unique. */
    public static List<Rule> checked(List<Rule> rules) {
        if (rules == null || rules.isEmpty() || rules.size() > RULES_MAX) {
            throw new IllegalArgumentException("a lifecycle configuration has 1 to " + RULES_MAX + " rules");
        }
        Set<String> ids = new HashSet<>();
        for (Rule r : rules) {
            if (r.id() != null && !ids.add(r.id())) {
                throw new IllegalArgumentException("Rule ID must be unique. Found same ID for more than one rule: " + r.id());
            }
        }
        return List.copyOf(rules);
    }

    /** {@code rules} as the map keeps them. */
    public static String json(List<Rule> rules) {
        return RuleListJson.write(checked(rules));
    }

    /** When an object expires, and the ID of the rule that expires it then (empty for a rule without one). */
    public record Expiry(long atMillis, String ruleId) {}

    /** When the object expires under the first of {@code rules} that selects it and expires it soonest, or {@link Long#MAX_VALUE}. */
    public static long expiresAtMillis(List<Rule> rules, String key, long size, long lastModifiedMillis, Map<String, String> tags,
                                       long dayMillis) {
        return expiry(rules, key, size, lastModifiedMillis, tags, dayMillis).map(Expiry::atMillis).orElse(Long.MAX_VALUE);
    }

    /**
     * When the object expires, under the first of {@code rules} that selects it and expires it
     * soonest; empty when no enabled rule expires it. What S3 answers in {@code x-amz-expiration}.
     */
    public static java.util.Optional<Expiry> expiry(List<Rule> rules, String key, long size, long lastModifiedMillis,
                                                     Map<String, String> tags, long dayMillis) {
        Expiry soonest = null;
        for (Rule r : rules) {
            if (r.selects(key, size, tags)) {
                long at = r.expiresAtMillis(lastModifiedMillis, dayMillis);
                if (at != Long.MAX_VALUE && (soonest == null || at < soonest.atMillis())) {
                    soonest = new Expiry(at, r.id() == null ? "" : r.id());
                }
            }
        }
        return java.util.Optional.ofNullable(soonest);
    }

    /** When an upload of {@code key} begun at {@code initiatedMillis} is aborted under {@code rules}, or {@link Long#MAX_VALUE}. */
    public static long abortsAtMillis(List<Rule> rules, String key, long initiatedMillis, long dayMillis) {
        long at = Long.MAX_VALUE;
        for (Rule r : rules) {
            at = Math.min(at, r.abortsAtMillis(key, initiatedMillis, dayMillis));
        }
        return at;
    }
}
