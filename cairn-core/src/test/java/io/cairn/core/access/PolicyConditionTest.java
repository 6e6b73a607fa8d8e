package io.cairn.core.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.core.access.BucketPolicy.Decision;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Bucket policy conditions as IAM judges them: the policies AWS's own documentation gives as
 * examples (HTTPS only, encrypted uploads only, an address range, a user's own folder), the rule
 * for keys a request lacks, the set operators, and what is refused.
 */
class PolicyConditionTest {

    private static BucketPolicy policy(String statementFields) {
        return BucketPolicy.parse("""
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*",
                  "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]}, %s]}""".formatted(statementFields), "b");
    }

    private static Decision get(BucketPolicy p, Map<String, String> ctx) {
        return p.evaluate("bob", "s3:GetObject", "b/k", context(ctx));
    }

    private static RequestContext context(Map<String, String> values) {
        Map<String, List<String>> lower = new java.util.HashMap<>();
        values.forEach((k, v) -> lower.put(k.toLowerCase(java.util.Locale.ROOT), List.of(v)));
        return key -> lower.getOrDefault(key, List.of());
    }

    @Test
    void httpsOnly() {
        BucketPolicy p = policy("""
                {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*",
                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}}""");
        assertThat(get(p, Map.of("aws:SecureTransport", "false"))).isEqualTo(Decision.DENY);
        assertThat(get(p, Map.of("aws:SecureTransport", "true"))).isEqualTo(Decision.ALLOW);
        BucketPolicy jsonBoolean = policy("""
                {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*",
                 "Condition": {"Bool": {"aws:securetransport": false}}}""");
        assertThat(get(jsonBoolean, Map.of("aws:SecureTransport", "false"))).as("a JSON boolean, a key in lower case")
                .isEqualTo(Decision.DENY);
    }

    @Test
    void encryptedUploadsOnlyTheWayAwsDocumentsIt() {
        BucketPolicy p = policy("""
                {"Sid": "DenyIncorrectEncryptionHeader", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                 "Resource": "arn:aws:s3:::b/*",
                 "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}}},
                {"Sid": "DenyUnEncryptedObjectUploads", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                 "Resource": "arn:aws:s3:::b/*", "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}}""");
        RequestContext none = RequestContext.EMPTY;
        assertThat(p.evaluate("bob", "s3:PutObject", "b/k", none)).as("no header: a negated operator holds on a missing key")
                .isEqualTo(Decision.DENY);
        assertThat(p.evaluate("bob", "s3:PutObject", "b/k", context(Map.of("s3:x-amz-server-side-encryption", "aws:kms"))))
                .isEqualTo(Decision.DENY);
        assertThat(p.evaluate("bob", "s3:PutObject", "b/k", context(Map.of("s3:x-amz-server-side-encryption", "AES256"))))
                .isEqualTo(Decision.ALLOW);
        assertThat(p.evaluate("bob", "s3:GetObject", "b/k", none)).as("other actions are not judged").isEqualTo(Decision.ALLOW);
    }

    @Test
    void addressRangesV4AndV6() {
        BucketPolicy p = BucketPolicy.parse("""
                {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                  "Resource": "arn:aws:s3:::b/*",
                  "Condition": {"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "2001:db8::/32", "203.0.113.7"]}}}}""", "b");
        assertThat(get(p, Map.of("aws:SourceIp", "192.0.2.200"))).isEqualTo(Decision.ALLOW);
        assertThat(get(p, Map.of("aws:SourceIp", "192.0.3.1"))).isEqualTo(Decision.NONE);
        assertThat(get(p, Map.of("aws:SourceIp", "203.0.113.7"))).isEqualTo(Decision.ALLOW);
        assertThat(get(p, Map.of("aws:SourceIp", "203.0.113.8"))).isEqualTo(Decision.NONE);
        assertThat(get(p, Map.of("aws:SourceIp", "2001:db8:ffff::1"))).isEqualTo(Decision.ALLOW);
        assertThat(get(p, Map.of("aws:SourceIp", "[2001:db9::1]"))).isEqualTo(Decision.NONE);
        assertThat(get(p, Map.of("aws:SourceIp", "::ffff:192.0.2.9"))).as("an IPv4 address mapped into IPv6").isEqualTo(Decision.ALLOW);
        assertThat(get(p, Map.of("aws:SourceIp", "not-an-address"))).isEqualTo(Decision.NONE);
        BucketPolicy outside = policy("""
                {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*",
                 "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}""");
        assertThat(get(outside, Map.of("aws:SourceIp", "10.1.2.3"))).isEqualTo(Decision.ALLOW);
        assertThat(get(outside, Map.of("aws:SourceIp", "127.0.0.1"))).isEqualTo(Decision.DENY);
        assertThat(get(outside, Map.of("aws:SourceIp", "0.0.0.0"))).isEqualTo(Decision.DENY);
    }

    @Test
    void everyOperatorAndEveryKeyMustHoldAndAnyValueOfAKeyMay() {
        BucketPolicy p = BucketPolicy.parse("""
                {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket",
                  "Resource": "arn:aws:s3:::b",
                  "Condition": {"StringLike": {"s3:prefix": ["home/", "home/*"], "aws:UserAgent": "*rclone*"},
                                "NumericLessThanEquals": {"s3:max-keys": "100"}}}}""", "b");
        RequestContext ok = context(Map.of("s3:prefix", "home/x/", "aws:UserAgent", "rclone/v1.60", "s3:max-keys", "100"));
        assertThat(p.evaluate(null, "s3:ListBucket", "b", ok)).isEqualTo(Decision.ALLOW);
        assertThat(p.evaluate(null, "s3:ListBucket", "b",
                context(Map.of("s3:prefix", "home/", "aws:UserAgent", "rclone", "s3:max-keys", "7")))).isEqualTo(Decision.ALLOW);
        assertThat(p.evaluate(null, "s3:ListBucket", "b",
                context(Map.of("s3:prefix", "etc/", "aws:UserAgent", "rclone", "s3:max-keys", "7")))).isEqualTo(Decision.NONE);
        assertThat(p.evaluate(null, "s3:ListBucket", "b",
                context(Map.of("s3:prefix", "home/", "aws:UserAgent", "curl", "s3:max-keys", "7")))).isEqualTo(Decision.NONE);
        assertThat(p.evaluate(null, "s3:ListBucket", "b",
                context(Map.of("s3:prefix", "home/", "aws:UserAgent", "rclone", "s3:max-keys", "1000")))).isEqualTo(Decision.NONE);
        assertThat(p.evaluate(null, "s3:ListBucket", "b",
                context(Map.of("s3:prefix", "home/", "aws:UserAgent", "rclone")))).as("a missing key fails a positive operator")
                .isEqualTo(Decision.NONE);
    }

    @Test
    void ifExistsAndTheSetOperators() {
        BucketPolicy ifExists = policy("""
                {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*",
                 "Condition": {"StringEqualsIfExists": {"s3:x-amz-acl": "public-read"}}}""");
        assertThat(get(ifExists, Map.of())).as("IfExists holds on a missing key").isEqualTo(Decision.DENY);
        assertThat(get(ifExists, Map.of("s3:x-amz-acl", "public-read"))).isEqualTo(Decision.DENY);
        assertThat(get(ifExists, Map.of("s3:x-amz-acl", "private"))).isEqualTo(Decision.ALLOW);

        BucketPolicy forAll = policy("""
                {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*",
                 "Condition": {"ForAllValues:StringEquals": {"s3:x-amz-acl": ["private", "bucket-owner-full-control"]}}}""");
        assertThat(get(forAll, Map.of())).as("ForAllValues holds on a missing key").isEqualTo(Decision.DENY);
        assertThat(get(forAll, Map.of("s3:x-amz-acl", "private"))).isEqualTo(Decision.DENY);
        assertThat(get(forAll, Map.of("s3:x-amz-acl", "public-read"))).isEqualTo(Decision.ALLOW);

        BucketPolicy forAny = policy("""
                {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*",
                 "Condition": {"ForAnyValue:StringEquals": {"s3:x-amz-acl": "public-read"}}}""");
        assertThat(get(forAny, Map.of())).as("ForAnyValue fails on a missing key").isEqualTo(Decision.ALLOW);
        assertThat(get(forAny, Map.of("s3:x-amz-acl", "public-read"))).isEqualTo(Decision.DENY);
    }

    @Test
    void datesNumbersAndIgnoringCase() {
        BucketPolicy p = policy("""
                {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*",
                 "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"},
                               "StringEqualsIgnoreCase": {"aws:username": "BOB"}}}""");
        assertThat(get(p, Map.of("aws:CurrentTime", "2031-05-01T10:00:00Z", "aws:username", "bob"))).isEqualTo(Decision.DENY);
        assertThat(get(p, Map.of("aws:CurrentTime", "2029-12-31T23:59:59Z", "aws:username", "bob"))).isEqualTo(Decision.ALLOW);
        assertThat(get(p, Map.of("aws:CurrentTime", "2031-05-01T10:00:00Z", "aws:username", "carol"))).isEqualTo(Decision.ALLOW);
        BucketPolicy epoch = policy("""
                {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*",
                 "Condition": {"DateLessThan": {"aws:EpochTime": "2030-01-01"}, "NumericNotEquals": {"s3:max-keys": 5}}}""");
        assertThat(get(epoch, Map.of("aws:EpochTime", "1700000000"))).as("a missing key holds a negated operator")
                .isEqualTo(Decision.DENY);
        assertThat(get(epoch, Map.of("aws:EpochTime", "1700000000", "s3:max-keys", "5"))).isEqualTo(Decision.ALLOW);
        assertThat(get(epoch, Map.of("aws:EpochTime", "1900000000"))).isEqualTo(Decision.ALLOW);
    }

    @Test
    void policyVariablesInResourcesAndValues() {
        BucketPolicy p = BucketPolicy.parse("""
                {"Version": "2012-10-17", "Statement": [
                  {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:*", "Resource": "arn:aws:s3:::b/home/${aws:username}/*"},
                  {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b",
                   "Condition": {"StringLike": {"s3:prefix": "home/${aws:username}/*"}}}]}""", "b");
        RequestContext bob = context(Map.of("aws:username", "bob"));
        assertThat(p.evaluate("bob", "s3:PutObject", "b/home/bob/x", bob)).isEqualTo(Decision.ALLOW);
        assertThat(p.evaluate("bob", "s3:PutObject", "b/home/carol/x", bob)).isEqualTo(Decision.NONE);
        assertThat(p.evaluate(null, "s3:GetObject", "b/home/bob/x", RequestContext.EMPTY)).as("no user: the variable is absent")
                .isEqualTo(Decision.NONE);
        RequestContext star = context(Map.of("aws:username", "*"));
        assertThat(p.evaluate("*", "s3:GetObject", "b/home/bob/x", star)).as("a value is text, never a wildcard")
                .isEqualTo(Decision.NONE);
        assertThat(p.evaluate("bob", "s3:ListBucket", "b", context(Map.of("aws:username", "bob", "s3:prefix", "home/bob/d/"))))
                .isEqualTo(Decision.ALLOW);
        assertThat(p.evaluate("bob", "s3:ListBucket", "b", context(Map.of("aws:username", "bob", "s3:prefix", "home/eve/"))))
                .isEqualTo(Decision.NONE);
        BucketPolicy old = BucketPolicy.parse("""
                {"Version": "2008-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                  "Resource": "arn:aws:s3:::b/${aws:username}"}}""", "b");
        assertThat(old.evaluate("bob", "s3:GetObject", "b/${aws:username}", bob)).as("version 2008-10-17 has no variables")
                .isEqualTo(Decision.ALLOW);
    }

    @Test
    void aConditionThatFailsLeavesTheDecisionToTheOthers() {
        BucketPolicy p = policy("""
                {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::b/*",
                 "Condition": {"StringNotEquals": {"aws:username": "admin"}}}""");
        assertThat(p.evaluate("admin", "s3:DeleteObject", "b/k", context(Map.of("aws:username", "admin")))).isEqualTo(Decision.ALLOW);
        assertThat(p.evaluate("bob", "s3:DeleteObject", "b/k", context(Map.of("aws:username", "bob")))).isEqualTo(Decision.DENY);
        assertThat(p.mayAllow("bob", "s3:DeleteObject", RequestContext.EMPTY)).isTrue();
    }

    @Test
    void whatIsMalformedAndWhatIsNotImplemented() {
        List<String> malformed = List.of(
                "{}",
                "[]",
                "{\"StringEquals\": {}}",
                "{\"StringEquals\": \"x\"}",
                "{\"StringSortOf\": {\"aws:username\": \"x\"}}",
                "{\"NullIfExists\": {\"aws:username\": \"true\"}}",
                "{\"StringEquals\": {\"aws:username\": []}}",
                "{\"StringEquals\": {\"aws:username\": {\"a\": 1}}}",
                "{\"StringEquals\": {\"myapp:thing\": \"x\"}}",
                "{\"NumericLessThan\": {\"s3:max-keys\": \"ten\"}}",
                "{\"DateLessThan\": {\"aws:CurrentTime\": \"yesterday\"}}",
                "{\"Bool\": {\"aws:SecureTransport\": \"maybe\"}}",
                "{\"Null\": {\"aws:username\": \"yes\"}}",
                "{\"IpAddress\": {\"aws:SourceIp\": \"10.0.0.0/33\"}}",
                "{\"IpAddress\": {\"aws:SourceIp\": \"300.0.0.1\"}}",
                "{\"IpAddress\": {\"aws:SourceIp\": \"example.com\"}}",
                "{\"StringLike\": {\"s3:prefix\": \"home/${aws:username\"}}",
                "{\"StringLike\": {\"s3:prefix\": \"home/${myapp:who}\"}}");
        for (String condition : malformed) {
            assertThatThrownBy(() -> withCondition(condition)).as(condition)
                    .isInstanceOfSatisfying(BucketPolicy.Invalid.class, e -> assertThat(e.notImplemented()).isFalse());
        }
        List<String> notImplemented = List.of(
                "{\"StringEquals\": {\"aws:PrincipalOrgID\": \"o-123\"}}",
                "{\"StringEquals\": {\"s3:ExistingObjectTag/class\": \"x\"}}",
                "{\"ArnLike\": {\"aws:SourceArn\": \"arn:aws:s3:::x\"}}",
                "{\"BinaryEquals\": {\"aws:username\": \"eA==\"}}",
                "{\"StringLike\": {\"s3:prefix\": \"home/${aws:PrincipalTag/team}\"}}");
        for (String condition : notImplemented) {
            assertThatThrownBy(() -> withCondition(condition)).as(condition)
                    .isInstanceOfSatisfying(BucketPolicy.Invalid.class, e -> assertThat(e.notImplemented()).isTrue());
        }
        assertThatThrownBy(() -> BucketPolicy.parse("""
                {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                  "Resource": "arn:aws:s3:::b/${aws:SourceVpc}"}}""", "b"))
                .isInstanceOfSatisfying(BucketPolicy.Invalid.class, e -> assertThat(e.notImplemented()).isTrue());
    }

    private static BucketPolicy withCondition(String condition) {
        return BucketPolicy.parse("""
                {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                  "Resource": "arn:aws:s3:::b/*", "Condition": %s}}""".formatted(condition), "b");
    }
}
