package io.cairn.core.access;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The {@code Condition} of a bucket policy statement, as IAM evaluates it: every operator and
 * every key in it must hold; a key with several values holds when any of them matches (a negated
 * operator, {@code StringNotEquals} for instance, when none does). A key the request does not
 * have fails the condition, except under a negated operator, an {@code ...IfExists} one, or
 * {@code ForAllValues:}; {@code Null} tests whether the key is there at all.
 *
 * <p>The condition keys are those an S3 request to Cairn has ({@link #KEYS}); a policy naming any
 * other {@code aws:} or {@code s3:} key, or a binary or ARN operator, is refused as not
 * implemented rather than stored and judged as if the key were absent.
 */
final class PolicyCondition {

    /** The condition keys Cairn sets for a request (lower case), and policy variables may name. */
    static final Set<String> KEYS = Set.of(
            "aws:securetransport", "aws:sourceip", "aws:currenttime", "aws:epochtime", "aws:useragent", "aws:referer",
            "aws:username", "aws:principaltype",
            "s3:prefix", "s3:delimiter", "s3:max-keys", "s3:x-amz-acl", "s3:x-amz-server-side-encryption",
            "s3:x-amz-server-side-encryption-customer-algorithm", "s3:x-amz-copy-source", "s3:x-amz-metadata-directive",
            "s3:x-amz-storage-class", "s3:x-amz-content-sha256", "s3:signatureversion", "s3:authtype");

    private enum Kind { STRING, STRING_IGNORE_CASE, STRING_LIKE, NUMERIC, DATE, BOOL, IP, NULL }

    /** An operator: what it compares, and for numbers and dates which orders hold (-1, 0, 1). */
    private enum Operator {
        StringEquals(Kind.STRING, false), StringNotEquals(Kind.STRING, true),
        StringEqualsIgnoreCase(Kind.STRING_IGNORE_CASE, false), StringNotEqualsIgnoreCase(Kind.STRING_IGNORE_CASE, true),
        StringLike(Kind.STRING_LIKE, false), StringNotLike(Kind.STRING_LIKE, true),
        NumericEquals(Kind.NUMERIC, false, 0), NumericNotEquals(Kind.NUMERIC, true, 0),
        NumericLessThan(Kind.NUMERIC, false, -1), NumericLessThanEquals(Kind.NUMERIC, false, -1, 0),
        NumericGreaterThan(Kind.NUMERIC, false, 1), NumericGreaterThanEquals(Kind.NUMERIC, false, 1, 0),
        DateEquals(Kind.DATE, false, 0), DateNotEquals(Kind.DATE, true, 0),
        DateLessThan(Kind.DATE, false, -1), DateLessThanEquals(Kind.DATE, false, -1, 0),
        DateGreaterThan(Kind.DATE, false, 1), DateGreaterThanEquals(Kind.DATE, false, 1, 0),
        Bool(Kind.BOOL, false), IpAddress(Kind.IP, false), NotIpAddress(Kind.IP, true), Null(Kind.NULL, false);

        final Kind kind;
        final boolean negated;
        final Set<Integer> orders;

        Operator(Kind kind, boolean negated, Integer... orders) {
            this.kind = kind;
            this.negated = negated;
            this.orders = Set.of(orders);
        }
    }

    private static final Set<String> NOT_IMPLEMENTED_OPERATORS = Set.of("BinaryEquals", "ArnEquals", "ArnNotEquals", "ArnLike",
            "ArnNotLike");

    private enum SetOperator { NONE, FOR_ANY_VALUE, FOR_ALL_VALUES }

    private record Clause(Operator operator, boolean ifExists, SetOperator set, String key, List<String> values) {}

    private final List<Clause> clauses;
    private final boolean variables;

    private PolicyCondition(List<Clause> clauses, boolean variables) {
        this.clauses = clauses;
        this.variables = variables;
    }

    /**
     * Reads a statement's {@code Condition} object.
     *
     * @param variables whether policy variables ({@code ${aws:username}}) are replaced in string values (policy version 2012-10-17)
     */
    static PolicyCondition parse(JsonNode node, boolean variables) {
        if (!node.isObject() || node.isEmpty()) {
            throw new BucketPolicy.Invalid("a Condition must be an object of condition operators", false);
        }
        List<Clause> clauses = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            SetOperator set = SetOperator.NONE;
            if (name.startsWith("ForAnyValue:")) {
                set = SetOperator.FOR_ANY_VALUE;
                name = name.substring("ForAnyValue:".length());
            } else if (name.startsWith("ForAllValues:")) {
                set = SetOperator.FOR_ALL_VALUES;
                name = name.substring("ForAllValues:".length());
            }
            boolean ifExists = name.endsWith("IfExists") && !name.equals("IfExists");
            String base = ifExists ? name.substring(0, name.length() - "IfExists".length()) : name;
            if (NOT_IMPLEMENTED_OPERATORS.contains(base)) {
                throw new BucketPolicy.Invalid("the condition operator " + e.getKey() + " is not implemented", true);
            }
            Operator operator;
            try {
                operator = Operator.valueOf(base);
            } catch (IllegalArgumentException unknown) {
                throw new BucketPolicy.Invalid("invalid condition operator: " + e.getKey(), false);
            }
            if (operator == Operator.Null && (ifExists || set != SetOperator.NONE)) {
                throw new BucketPolicy.Invalid("invalid condition operator: " + e.getKey(), false);
            }
            if (!e.getValue().isObject() || e.getValue().isEmpty()) {
                throw new BucketPolicy.Invalid("the condition operator " + e.getKey() + " needs an object of condition keys", false);
            }
            for (Iterator<Map.Entry<String, JsonNode>> keys = e.getValue().fields(); keys.hasNext(); ) {
                Map.Entry<String, JsonNode> k = keys.next();
                String key = checkedKey(k.getKey());
                List<String> values = values(k.getValue(), e.getKey() + " " + k.getKey());
                for (String v : values) {
                    checkValue(operator, v, variables, e.getKey() + " " + k.getKey());
                }
                clauses.add(new Clause(operator, ifExists, set, key, values));
            }
        }
        return new PolicyCondition(List.copyOf(clauses), variables);
    }

    /**
     * Whether this condition holds only for requests from fixed address blocks: an
     * {@code IpAddress} test of {@code aws:SourceIp} (not {@code IfExists}), none of whose
     * blocks is a whole address space. S3 does not count a statement so limited as public.
     */
    boolean limitsSourceAddresses() {
        for (Clause c : clauses) {
            if (c.operator() == Operator.IpAddress && !c.ifExists() && c.key().equals("aws:sourceip") && !c.values().isEmpty()
                    && c.values().stream().map(Cidr::parse).allMatch(block -> block != null && block.bits() > 0)) {
                return true;
            }
        }
        return false;
    }

    private static String checkedKey(String key) {
        String lower = key.toLowerCase(Locale.ROOT);
        if (KEYS.contains(lower)) {
            return lower;
        }
        if (lower.startsWith("aws:") || lower.startsWith("s3:")) {
            throw new BucketPolicy.Invalid("the condition key " + key + " is not implemented", true);
        }
        throw new BucketPolicy.Invalid("policy has an invalid condition key: " + key, false);
    }

    private static List<String> values(JsonNode node, String what) {
        List<String> out = new ArrayList<>();
        for (JsonNode n : node.isArray() ? node : List.of(node)) {
            if (!n.isTextual() && !n.isNumber() && !n.isBoolean()) {
                throw new BucketPolicy.Invalid("the values of " + what + " must be strings, numbers or booleans", false);
            }
            out.add(n.asText());
        }
        if (out.isEmpty()) {
            throw new BucketPolicy.Invalid(what + " needs at least one value", false);
        }
        return out;
    }

    private static void checkValue(Operator op, String v, boolean variables, String what) {
        boolean ok = switch (op.kind) {
            case STRING, STRING_IGNORE_CASE, STRING_LIKE -> {
                if (variables) {
                    checkVariables(v);
                }
                yield true;
            }
            case NUMERIC -> number(v) != null;
            case DATE -> instant(v) != null;
            case BOOL, NULL -> v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false");
            case IP -> Cidr.parse(v) != null;
        };
        if (!ok) {
            throw new BucketPolicy.Invalid("invalid value for " + what + ": " + v, false);
        }
    }

    /** Whether every clause holds for request {@code ctx}. */
    boolean holds(RequestContext ctx) {
        for (Clause c : clauses) {
            if (!holds(c, ctx)) {
                return false;
            }
        }
        return true;
    }

    private boolean holds(Clause c, RequestContext ctx) {
        List<String> request = ctx.get(c.key());
        if (c.operator() == Operator.Null) {
            return c.values().stream().anyMatch(v -> Boolean.parseBoolean(v.toLowerCase(Locale.ROOT)) == request.isEmpty());
        }
        if (request.isEmpty()) {
            return switch (c.set()) {
                case FOR_ALL_VALUES -> true;
                case FOR_ANY_VALUE -> false;
                case NONE -> c.ifExists() || c.operator().negated;
            };
        }
        Predicate<String> matchesSome = r -> c.values().stream().anyMatch(v -> matches(c.operator(), v, r, ctx));
        Predicate<String> ok = c.operator().negated ? matchesSome.negate() : matchesSome;
        return c.set() == SetOperator.FOR_ALL_VALUES ? request.stream().allMatch(ok) : request.stream().anyMatch(ok);
    }

    /** Whether request value {@code r} matches policy value {@code v} under the operator's positive form. */
    private boolean matches(Operator op, String v, String r, RequestContext ctx) {
        return switch (op.kind) {
            case STRING -> v.equals(r) || (variables && v.contains("${") && r.equals(substitute(v, ctx)));
            case STRING_IGNORE_CASE -> v.equalsIgnoreCase(r) || (variables && v.contains("${") && r.equalsIgnoreCase(substitute(v, ctx)));
            case STRING_LIKE -> {
                Pattern p = glob(v, variables ? ctx : null);
                yield p != null && p.matcher(r).matches();
            }
            case NUMERIC -> {
                BigDecimal a = number(r);
                yield a != null && op.orders.contains(Integer.signum(a.compareTo(number(v))));
            }
            case DATE -> {
                Instant a = instant(r);
                yield a != null && op.orders.contains(Integer.signum(a.compareTo(instant(v))));
            }
            case BOOL -> v.equalsIgnoreCase(r);
            case IP -> Cidr.parse(v).contains(r);
            case NULL -> throw new IllegalStateException("Null is judged on the key's presence");
        };
    }

    // ---- policy variables and wildcards ----

    /** Throws unless every {@code ${...}} in {@code text} names a key Cairn sets or is {@code ${*}}, {@code ${?}} or {@code ${$}}. */
    static void checkVariables(String text) {
        int at = 0;
        while ((at = text.indexOf("${", at)) >= 0) {
            int end = text.indexOf('}', at);
            if (end < 0) {
                throw new BucketPolicy.Invalid("a policy variable is not closed: " + text, false);
            }
            String name = text.substring(at + 2, end);
            if (!name.equals("*") && !name.equals("?") && !name.equals("$")) {
                checkedKey(name.strip());
            }
            at = end + 1;
        }
    }

    /** {@code text} with its policy variables replaced by the request's values; null when one of them is absent. */
    static String substitute(String text, RequestContext ctx) {
        StringBuilder out = new StringBuilder();
        return appendParts(text, ctx, out::append, out::append) ? out.toString() : null;
    }

    /**
     * A wildcard pattern ({@code *}, {@code ?}) for {@code glob}, with policy variables replaced
     * from {@code ctxOrNull} (null: no variables, {@code ${} is text). Null when a variable the
     * pattern names is absent from the request: the pattern matches nothing.
     */
    static Pattern glob(String glob, RequestContext ctxOrNull) {
        StringBuilder re = new StringBuilder();
        java.util.function.Consumer<String> wild = part -> {
            for (char ch : part.toCharArray()) {
                switch (ch) {
                    case '*' -> re.append(".*");
                    case '?' -> re.append('.');
                    default -> re.append(Pattern.quote(String.valueOf(ch)));
                }
            }
        };
        if (ctxOrNull == null) {
            wild.accept(glob);
        } else if (!appendParts(glob, ctxOrNull, wild, literal -> re.append(Pattern.quote(literal)))) {
            return null;
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }

    /** Splits {@code text} into its own parts and the values its variables take; false when a variable is absent. */
    private static boolean appendParts(String text, RequestContext ctx, java.util.function.Consumer<String> own,
                                       java.util.function.Consumer<String> value) {
        int at = 0;
        while (true) {
            int start = text.indexOf("${", at);
            int end = start < 0 ? -1 : text.indexOf('}', start);
            if (end < 0) {
                own.accept(text.substring(at));
                return true;
            }
            own.accept(text.substring(at, start));
            String name = text.substring(start + 2, end).strip();
            switch (name) {
                case "*", "?", "$" -> value.accept(name);
                default -> {
                    List<String> v = ctx.get(name);
                    if (v.isEmpty()) {
                        return false;
                    }
                    value.accept(v.get(0));
                }
            }
            at = end + 1;
        }
    }

    // ---- value types ----

    private static BigDecimal number(String s) {
        try {
            return new BigDecimal(s.strip());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** An ISO 8601 date or time (UTC unless it says otherwise), or seconds since the epoch. */
    static Instant instant(String s) {
        String t = s.strip();
        if (t.matches("-?[0-9]{1,12}")) {
            return Instant.ofEpochSecond(Long.parseLong(t));
        }
        try {
            return OffsetDateTime.parse(t).toInstant();
        } catch (DateTimeParseException e) {
            // try the shorter forms
        }
        try {
            return java.time.LocalDateTime.parse(t).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            // try a date alone
        }
        try {
            return LocalDate.parse(t).atStartOfDay(ZoneOffset.UTC).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** An IPv4 or IPv6 address block ({@code 192.0.2.0/24}, {@code 2001:db8::/32}; a bare address is one address). */
    record Cidr(byte[] network, int bits) {
        static Cidr parse(String text) {
            String t = text.strip();
            int slash = t.indexOf('/');
            String addr = slash < 0 ? t : t.substring(0, slash);
            byte[] bytes = literalAddress(addr);
            if (bytes == null) {
                return null;
            }
            int bits = bytes.length * 8;
            if (slash >= 0) {
                String b = t.substring(slash + 1);
                if (!b.matches("[0-9]{1,3}") || Integer.parseInt(b) > bytes.length * 8) {
                    return null;
                }
                bits = Integer.parseInt(b);
            }
            return new Cidr(bytes, bits);
        }

        boolean contains(String address) {
            byte[] a = literalAddress(address.strip());
            if (a == null) {
                return false;
            }
            if (a.length != network.length) {
                a = a.length == 16 && network.length == 4 ? mappedV4(a) : null; // ::ffff:a.b.c.d against an IPv4 block
                if (a == null) {
                    return false;
                }
            }
            BigInteger mask = bits == 0 ? BigInteger.ZERO
                    : BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE).shiftLeft(network.length * 8 - bits);
            return new BigInteger(1, a).and(mask).equals(new BigInteger(1, network).and(mask));
        }

        private static byte[] mappedV4(byte[] v6) {
            for (int i = 0; i < 10; i++) {
                if (v6[i] != 0) {
                    return null;
                }
            }
            if (v6[10] != (byte) 0xff || v6[11] != (byte) 0xff) {
                return null;
            }
            return java.util.Arrays.copyOfRange(v6, 12, 16);
        }

        /** The bytes of an IP address written as digits (never a host name: nothing is looked up). */
        private static byte[] literalAddress(String s) {
            String a = s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
            if (a.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
                byte[] out = new byte[4];
                String[] parts = a.split("\\.");
                for (int i = 0; i < 4; i++) {
                    int octet = Integer.parseInt(parts[i]);
                    if (octet > 255) {
                        return null;
                    }
                    out[i] = (byte) octet;
                }
                return out;
            }
            if (!a.contains(":") || !a.matches("[0-9A-Fa-f:.]+")) {
                return null; // with a colon, InetAddress reads an IPv6 literal and looks nothing up
            }
            try {
                return InetAddress.getByName(a).getAddress();
            } catch (UnknownHostException e) {
                return null;
            }
        }
    }
}
