package io.cairn.core.access;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A bucket policy of the common shape: statements that allow or deny S3 actions on the bucket
 * and its objects to everyone ({@code "Principal": "*"}) or to named users
 * ({@code arn:aws:iam::<any>:user/<name>}). Actions and resources may use {@code *} and
 * {@code ?}, and (policy version 2012-10-17) policy variables such as {@code ${aws:username}}. A
 * statement may have a {@code Condition} on the request ({@link PolicyCondition}): the keys S3
 * sets that Cairn knows, such as {@code aws:SourceIp}, {@code aws:SecureTransport} or
 * {@code s3:prefix}. An explicit deny wins over any allow; without a statement that applies, the
 * policy decides nothing ({@link Decision#NONE}) and the bucket's owner, grants and ACL decide.
 * The {@code Not*} forms, and condition keys and operators Cairn does not implement, are refused
 * as such: never stored and ignored.
 */
public final class BucketPolicy {

    /** What a policy says of one request. */
    public enum Decision { ALLOW, DENY, NONE }

    /** S3's limit on a bucket policy's size. */
    public static final int BYTES_MAX = 20 * 1024;

    /** A policy that cannot be stored: {@code notImplemented} when valid S3 but beyond what Cairn implements. */
    public static final class Invalid extends IllegalArgumentException {
        private final boolean notImplemented;

        Invalid(String message, boolean notImplemented) {
            super(message);
            this.notImplemented = notImplemented;
        }

        public boolean notImplemented() {
            return notImplemented;
        }
    }

    /**
     * One statement. {@code resources} are wildcard patterns after the {@code arn:aws:s3:::}
     * prefix, compiled once in {@code fixedResources}, or (null there) made again for each
     * request because they name policy variables; a null {@code condition} always holds.
     */
    private record Statement(boolean allow, boolean anyone, Set<String> users, List<Pattern> actions, List<String> resources,
                             List<Pattern> fixedResources, PolicyCondition condition) {
        boolean names(String userOrNull) {
            return anyone || (userOrNull != null && users.contains(userOrNull));
        }

        boolean covers(String action) {
            return actions.stream().anyMatch(p -> p.matcher(action.toLowerCase(Locale.ROOT)).matches());
        }

        boolean on(String resource, RequestContext ctx) {
            for (int i = 0; i < resources.size(); i++) {
                Pattern p = fixedResources.get(i) != null ? fixedResources.get(i) : PolicyCondition.glob(resources.get(i), ctx);
                if (p != null && p.matcher(resource).matches()) {
                    return true;
                }
            }
            return false;
        }

        boolean holds(RequestContext ctx) {
            return condition == null || condition.holds(ctx);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String S3_ARN = "arn:aws:s3:::";
    private static final Pattern USER_ARN = Pattern.compile("arn:aws:iam::[0-9A-Za-z-]*:user/([A-Za-z0-9][A-Za-z0-9_.@+=,-]{0,63})");
    private static final Set<String> TOP_LEVEL = Set.of("Version", "Id", "Statement");
    private static final Set<String> STATEMENT_KEYS = Set.of("Sid", "Effect", "Principal", "Action", "Resource", "Condition");

    private final List<Statement> statements;

    private BucketPolicy(List<Statement> statements) {
        this.statements = statements;
    }

    /**
     * Reads and checks the policy {@code json} of bucket {@code bucket}.
     *
     * @throws Invalid if it is not a policy S3 accepts for this bucket, or uses what Cairn does not implement
     */
    public static BucketPolicy parse(String json, String bucket) {
        if (json.getBytes(StandardCharsets.UTF_8).length > BYTES_MAX) {
            throw new Invalid("a bucket policy is at most " + BYTES_MAX + " bytes", false);
        }
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new Invalid("the policy is not JSON: " + e.getOriginalMessage(), false);
        }
        if (root == null || !root.isObject()) {
            throw new Invalid("the policy must be a JSON object", false);
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!TOP_LEVEL.contains(name)) {
                throw new Invalid("unknown field in the policy: " + name, false);
            }
        }
        JsonNode version = root.get("Version");
        if (version != null && !(version.isTextual() && (version.asText().equals("2012-10-17") || version.asText().equals("2008-10-17")))) {
            throw new Invalid("the policy's Version must be 2012-10-17 or 2008-10-17", false);
        }
        JsonNode statementNode = root.get("Statement");
        if (statementNode == null || (!statementNode.isObject() && !statementNode.isArray()) || statementNode.isEmpty()) {
            throw new Invalid("the policy needs a Statement (one, or an array of them)", false);
        }
        boolean variables = version != null && version.asText().equals("2012-10-17");
        List<Statement> statements = new ArrayList<>();
        for (JsonNode s : statementNode.isArray() ? statementNode : List.of(statementNode)) {
            statements.add(statement(s, bucket, variables));
        }
        return new BucketPolicy(List.copyOf(statements));
    }

    private static Statement statement(JsonNode s, String bucket, boolean variables) {
        if (!s.isObject()) {
            throw new Invalid("every Statement must be an object", false);
        }
        for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (name.equals("NotPrincipal") && s.path("Effect").asText("").equals("Allow")) {
                // As in AWS: Allow with NotPrincipal would grant everyone but a few.
                throw new Invalid("NotPrincipal cannot be used with Effect Allow", false);
            }
            if (name.equals("NotPrincipal") || name.equals("NotAction") || name.equals("NotResource")) {
                throw new Invalid("bucket policy statements with " + name + " are not implemented", true);
            }
            if (!STATEMENT_KEYS.contains(name)) {
                throw new Invalid("unknown field in a policy statement: " + name, false);
            }
        }
        String effect = s.path("Effect").asText("");
        if (!effect.equals("Allow") && !effect.equals("Deny")) {
            throw new Invalid("a statement's Effect must be Allow or Deny", false);
        }
        JsonNode principal = s.get("Principal");
        if (principal == null) {
            throw new Invalid("a bucket policy statement needs a Principal", false);
        }
        boolean anyone = false;
        Set<String> users = new java.util.TreeSet<>();
        List<String> aws;
        if (principal.isTextual()) {
            if (!principal.asText().equals("*")) {
                throw new Invalid("invalid principal in policy: " + principal.asText(), false);
            }
            aws = List.of("*");
        } else if (principal.isObject() && principal.size() == 1 && principal.has("AWS")) {
            aws = strings(principal.get("AWS"), "Principal AWS");
        } else {
            throw new Invalid("invalid principal in policy: only \"*\" and {\"AWS\": ...} users are supported", false);
        }
        for (String p : aws) {
            if (p.equals("*")) {
                anyone = true;
                continue;
            }
            var m = USER_ARN.matcher(p);
            if (!m.matches()) {
                throw new Invalid("invalid principal in policy: " + p + " (expected * or arn:aws:iam::...:user/NAME)", false);
            }
            users.add(m.group(1));
        }
        List<Pattern> actions = new ArrayList<>();
        for (String a : strings(s.get("Action"), "Action")) {
            String lower = a.toLowerCase(Locale.ROOT);
            if (!lower.equals("*") && !lower.matches("s3:[a-z*?]+")) {
                throw new Invalid("policy has an invalid action: " + a, false);
            }
            actions.add(PolicyCondition.glob(lower, null));
        }
        List<String> resources = new ArrayList<>();
        List<Pattern> fixedResources = new ArrayList<>();
        for (String r : strings(s.get("Resource"), "Resource")) {
            if (!r.startsWith(S3_ARN)) {
                throw new Invalid("policy has an invalid resource: " + r, false);
            }
            String rest = r.substring(S3_ARN.length());
            int slash = rest.indexOf('/');
            String bucketPart = slash < 0 ? rest : rest.substring(0, slash);
            if (!PolicyCondition.glob(bucketPart, null).matcher(bucket).matches()) {
                throw new Invalid("policy has an invalid resource: " + r + " is not in bucket " + bucket, false);
            }
            boolean named = variables && rest.contains("${");
            if (named) {
                PolicyCondition.checkVariables(rest);
            }
            resources.add(rest);
            fixedResources.add(named ? null : PolicyCondition.glob(rest, null));
        }
        PolicyCondition condition = s.has("Condition") ? PolicyCondition.parse(s.get("Condition"), variables) : null;
        return new Statement(effect.equals("Allow"), anyone, Set.copyOf(users), List.copyOf(actions), List.copyOf(resources),
                java.util.Collections.unmodifiableList(fixedResources), condition);
    }

    private static List<String> strings(JsonNode node, String what) {
        List<String> out = new ArrayList<>();
        if (node != null && node.isTextual()) {
            out.add(node.asText());
        } else if (node != null && node.isArray() && !node.isEmpty()) {
            for (JsonNode n : node) {
                if (!n.isTextual()) {
                    throw new Invalid(what + " must be a string or an array of strings", false);
                }
                out.add(n.asText());
            }
        } else {
            throw new Invalid("a statement needs " + what + " (a string or an array of strings)", false);
        }
        return out;
    }

    /**
     * What the policy says of {@code action} (such as {@code s3:GetObject}) by user
     * {@code userOrNull} (null: an anonymous request) on {@code resource}: the bucket's name, or
     * {@code bucket/key} for an object; {@code ctx} is what the request brings to conditions.
     */
    public Decision evaluate(String userOrNull, String action, String resource, RequestContext ctx) {
        Decision d = Decision.NONE;
        for (Statement s : statements) {
            if (s.names(userOrNull) && s.covers(action) && s.on(resource, ctx) && s.holds(ctx)) {
                if (!s.allow()) {
                    return Decision.DENY;
                }
                d = Decision.ALLOW;
            }
        }
        return d;
    }

    /**
     * Whether the policy is public as S3's Block Public Access judges it: some statement allows
     * something to everyone ({@code "Principal": "*"}) without limiting it to fixed source
     * addresses ({@code aws:SourceIp}, the one such condition key Cairn knows).
     */
    public boolean isPublic() {
        return statements.stream().anyMatch(s -> s.allow() && s.anyone() && (s.condition() == null || !s.condition().limitsSourceAddresses()));
    }

    /** Whether some statement allows {@code action} to {@code userOrNull} on some resource (its objects are judged one by one). */
    public boolean mayAllow(String userOrNull, String action, RequestContext ctx) {
        return statements.stream().anyMatch(s -> s.allow() && s.names(userOrNull) && s.covers(action) && s.holds(ctx));
    }
}
