package io.cairn.core.access;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.type.TypeReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A bucket's CORS configuration, as S3 has it: rules that let web pages of some origins call
 * the bucket from a browser. A request (or a browser's preflight {@code OPTIONS}) is allowed by
 * the first rule that names its origin (a rule's origin may hold one {@code *}), its method, and
 * (for a preflight) every header it asks to send; the rule's exposed headers and max age go back
 * to the browser. Kept in the cluster map as JSON ({@link #json}).
 */
public final class BucketCors {

    /** S3's limit on rules per bucket. */
    public static final int RULES_MAX = 100;
    /** The methods a rule may allow. */
    public static final Set<String> METHODS = Set.of("GET", "PUT", "HEAD", "POST", "DELETE");

    /** One rule. {@code id} and {@code maxAgeSeconds} may be null. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Rule(
            @JsonProperty("id") String id,
            @JsonProperty("allowed_origins") List<String> allowedOrigins,
            @JsonProperty("allowed_methods") List<String> allowedMethods,
            @JsonProperty("allowed_headers") List<String> allowedHeaders,
            @JsonProperty("expose_headers") List<String> exposeHeaders,
            @JsonProperty("max_age_seconds") Integer maxAgeSeconds) {

        /**
         * @throws IllegalArgumentException if S3 would refuse the rule (no origin or method, a
         *     method it does not know, more than one {@code *} in an origin or header)
         */
        public Rule {
            allowedOrigins = allowedOrigins == null ? List.of() : List.copyOf(allowedOrigins);
            allowedMethods = allowedMethods == null ? List.of() : List.copyOf(allowedMethods);
            allowedHeaders = allowedHeaders == null ? List.of() : List.copyOf(allowedHeaders);
            exposeHeaders = exposeHeaders == null ? List.of() : List.copyOf(exposeHeaders);
            if (allowedOrigins.isEmpty() || allowedMethods.isEmpty()) {
                throw new IllegalArgumentException("every CORSRule needs an AllowedOrigin and an AllowedMethod");
            }
            for (String m : allowedMethods) {
                if (!METHODS.contains(m)) {
                    throw new IllegalArgumentException("Found unsupported HTTP method in CORS config. Unsupported method is " + m);
                }
            }
            for (String o : allowedOrigins) {
                if (o.chars().filter(c -> c == '*').count() > 1) {
                    throw new IllegalArgumentException("AllowedOrigin \"" + o + "\" can not have more than one wildcard.");
                }
            }
            for (String h : allowedHeaders) {
                if (h.chars().filter(c -> c == '*').count() > 1) {
                    throw new IllegalArgumentException("AllowedHeader \"" + h + "\" can not have more than one wildcard.");
                }
            }
            if (maxAgeSeconds != null && maxAgeSeconds < 0) {
                throw new IllegalArgumentException("MaxAgeSeconds must not be negative: " + maxAgeSeconds);
            }
            if (id != null && id.length() > 255) {
                throw new IllegalArgumentException("a CORSRule's ID is at most 255 characters");
            }
        }

        /** Whether this rule allows {@code method} from {@code origin}, with each of {@code requestHeaders} (any case). */
        public boolean allows(String origin, String method, List<String> requestHeaders) {
            if (!allowedMethods.contains(method) || allowedOrigins.stream().noneMatch(o -> wildcard(o, false).matcher(origin).matches())) {
                return false;
            }
            for (String h : requestHeaders) {
                if (allowedHeaders.stream().noneMatch(a -> wildcard(a, true).matcher(h).matches())) {
                    return false;
                }
            }
            return true;
        }

        /** Whether this rule lets any origin in (its matching origin is {@code *}). */
        public boolean anyOrigin(String origin) {
            return allowedOrigins.stream().filter(o -> wildcard(o, false).matcher(origin).matches()).allMatch(o -> o.equals("*"));
        }
    }

    private BucketCors() {}

    /** The rules {@code json} holds, checked. */
    public static List<Rule> parse(String json) {
        return checked(RuleListJson.read(json, new TypeReference<List<Rule>>() {}, "CORS configuration"));
    }

    /** {@code rules}, checked as S3 checks a configuration (1 to {@link #RULES_MAX} rules). */
    public static List<Rule> checked(List<Rule> rules) {
        if (rules == null || rules.isEmpty() || rules.size() > RULES_MAX) {
            throw new IllegalArgumentException("a CORS configuration has 1 to " + RULES_MAX + " rules");
        }
        return List.copyOf(rules);
    }

    /** {@code rules} as the map keeps them. */
    public static String json(List<Rule> rules) {
        return RuleListJson.write(checked(rules));
    }

    /** The first rule allowing {@code method} from {@code origin} with {@code requestHeaders}, if any. */
    public static Optional<Rule> match(List<Rule> rules, String origin, String method, List<String> requestHeaders) {
        return rules.stream().filter(r -> r.allows(origin, method, requestHeaders)).findFirst();
    }

    private static Pattern wildcard(String glob, boolean ignoreCase) {
        StringBuilder re = new StringBuilder();
        for (char c : glob.toCharArray()) {
            re.append(c == '*' ? ".*" : Pattern.quote(String.valueOf(c)));
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL | (ignoreCase ? Pattern.CASE_INSENSITIVE : 0));
    }

    /** Header names as a browser lists them in {@code Access-Control-Request-Headers}: comma-separated, trimmed, lower case. */
    public static List<String> headerList(String headerOrNull) {
        List<String> out = new ArrayList<>();
        if (headerOrNull != null) {
            for (String h : headerOrNull.split(",")) {
                if (!h.isBlank()) {
                    out.add(h.strip().toLowerCase(Locale.ROOT));
                }
            }
        }
        return out;
    }
}
