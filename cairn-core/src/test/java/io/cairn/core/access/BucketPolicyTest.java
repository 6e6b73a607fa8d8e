package io.cairn.core.access;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.BucketInfo;
import io.cairn.core.map.UserInfo;
import io.cairn.core.map.BucketPermission;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.core.access.BucketPolicy.Decision;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Bucket policies of the common shape: who, which actions, which of the bucket's objects; a deny
 * wins; what is not valid is MalformedPolicy and what is valid but not implemented (the Not*
 * forms) is refused as such. Conditions are in {@link PolicyConditionTest}. And how a policy joins the owner, grants and ACL.
 */
class BucketPolicyTest {

    private static final String PUBLIC_READ = """
            {"Version": "2012-10-17", "Statement": [{"Sid": "read", "Effect": "Allow", "Principal": "*",
              "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::site/public/*"]}]}""";

    @Test
    void anonymousReadOfSomeObjectsAndNothingElse() {
        BucketPolicy p = BucketPolicy.parse(PUBLIC_READ, "site");
        assertThat(p.evaluate(null, "s3:GetObject", "site/public/index.html", RequestContext.EMPTY)).isEqualTo(Decision.ALLOW);
        assertThat(p.evaluate("bob", "s3:GETOBJECT", "site/public/a/b", RequestContext.EMPTY)).as("actions ignore case").isEqualTo(Decision.ALLOW);
        assertThat(p.evaluate(null, "s3:GetObject", "site/private/x", RequestContext.EMPTY)).isEqualTo(Decision.NONE);
        assertThat(p.evaluate(null, "s3:PutObject", "site/public/x", RequestContext.EMPTY)).isEqualTo(Decision.NONE);
        assertThat(p.evaluate(null, "s3:ListBucket", "site", RequestContext.EMPTY)).isEqualTo(Decision.NONE);
        assertThat(p.mayAllow(null, "s3:DeleteObject", RequestContext.EMPTY)).isFalse();
    }

    @Test
    void usersWildcardsAndADenyThatWins() {
        BucketPolicy p = BucketPolicy.parse("""
                {"Statement": [
                  {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::123456789012:user/bob", "arn:aws:iam:::user/carol"]},
                   "Action": "s3:*", "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"]},
                  {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": ["s3:Delete*"], "Resource": "arn:aws:s3:::data/keep/?*"}]}""",
                "data");
        assertThat(p.evaluate("bob", "s3:PutObject", "data/x", RequestContext.EMPTY)).isEqualTo(Decision.ALLOW);
        assertThat(p.evaluate("carol", "s3:ListBucket", "data", RequestContext.EMPTY)).isEqualTo(Decision.ALLOW);
        assertThat(p.evaluate("dave", "s3:ListBucket", "data", RequestContext.EMPTY)).isEqualTo(Decision.NONE);
        assertThat(p.evaluate("bob", "s3:DeleteObject", "data/keep/x", RequestContext.EMPTY)).isEqualTo(Decision.DENY);
        assertThat(p.evaluate("bob", "s3:DeleteObject", "data/keep/", RequestContext.EMPTY)).as("? needs one character").isEqualTo(Decision.ALLOW);
        assertThat(p.evaluate(null, "s3:DeleteObject", "data/keep/x", RequestContext.EMPTY)).isEqualTo(Decision.DENY);
        assertThat(p.mayAllow("bob", "s3:DeleteObject", RequestContext.EMPTY)).isTrue();
        assertThat(p.mayAllow("dave", "s3:DeleteObject", RequestContext.EMPTY)).isFalse();
    }

    @Test
    void whatIsNotAPolicyIsMalformedAndWhatIsNotImplementedSaysSo() {
        List<String> malformed = List.of(
                "not json",
                "[]",
                "{\"Statement\": []}",
                "{\"Version\": \"2020-01-01\", \"Statement\": {\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::b/*\"}}",
                "{\"Statement\": {\"Effect\": \"Maybe\", \"Principal\": \"*\", \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::b/*\"}}",
                "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::b/*\"}}",
                "{\"Statement\": {\"Effect\": \"Allow\", \"Principal\": \"bob\", \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::b/*\"}}",
                "{\"Statement\": {\"Effect\": \"Allow\", \"Principal\": {\"CanonicalUser\": \"x\"}, \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::b/*\"}}",
                "{\"Statement\": {\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"ec2:RunInstances\", \"Resource\": \"arn:aws:s3:::b/*\"}}",
                "{\"Statement\": {\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::other/*\"}}",
                "{\"Statement\": {\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"s3:GetObject\", \"Resource\": \"b/*\"}}",
                "{\"Statement\": {\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": [], \"Resource\": \"arn:aws:s3:::b/*\"}}",
                "{\"Statement\": {\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::b/*\", \"Extra\": 1}}",
                "{\"Surprise\": 1, \"Statement\": {\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::b/*\"}}",
                "{\"Statement\": {\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::b/" + "x".repeat(BucketPolicy.BYTES_MAX) + "\"}}");
        for (String json : malformed) {
            assertThatThrownBy(() -> BucketPolicy.parse(json, "b")).as(json.length() > 200 ? "an oversized policy" : json)
                    .isInstanceOfSatisfying(BucketPolicy.Invalid.class, e -> assertThat(e.notImplemented()).isFalse());
        }
        for (String field : List.of("NotPrincipal", "NotAction", "NotResource")) {
            String json = "{\"Statement\": {\"Effect\": \"Deny\", \"Principal\": \"*\", \"Action\": \"s3:GetObject\", "
                    + "\"Resource\": \"arn:aws:s3:::b/*\", \"" + field + "\": {}}}";
            assertThatThrownBy(() -> BucketPolicy.parse(json, "b")).as(field)
                    .isInstanceOfSatisfying(BucketPolicy.Invalid.class, e -> assertThat(e.notImplemented()).isTrue());
        }
        // Allow with NotPrincipal is refused as malformed, as AWS refuses it.
        String allowAllBut = "{\"Statement\": {\"Effect\": \"Allow\", \"NotPrincipal\": {\"AWS\": \"arn:aws:iam::1:user/x\"}, "
                + "\"Action\": \"s3:ListBucket\", \"Resource\": \"arn:aws:s3:::b\"}}";
        assertThatThrownBy(() -> BucketPolicy.parse(allowAllBut, "b"))
                .isInstanceOfSatisfying(BucketPolicy.Invalid.class, e -> assertThat(e.notImplemented()).isFalse());
    }

    @Test
    void aPolicyAddsToTheOwnersRightsButNeverGivesOwnershipAndItsDenyBindsTheOwnerToo() {
        UserInfo alice = new UserInfo("AKALICE00000", "s", "alice", false);
        UserInfo bob = new UserInfo("AKBOB0000000", "s", "bob", false);
        UserInfo bobReadOnly = new UserInfo("AKBOBRO00000", "s", "bob", false, true);
        BucketInfo b = new BucketInfo("data", "default", "alice", 0, 32, null).withPolicy("""
                {"Statement": [
                  {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam:::user/bob"}, "Action": "s3:*", "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"]},
                  {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::data/keep/*"},
                  {"Effect": "Deny", "Principal": "*", "Action": "s3:*BucketPolicy", "Resource": "arn:aws:s3:::data"}]}""");
        ClusterMap map = new ClusterMap(3, "c", List.of(), List.of(), List.of(b), List.of(alice, bob, bobReadOnly));
        assertThat(BucketAccess.allows(map, b, Optional.of(bob), BucketPermission.WRITE, "s3:PutObject", "x", RequestContext.EMPTY)).isTrue();
        assertThat(BucketAccess.allows(map, b, Optional.of(bob), BucketPermission.READ, "s3:ListBucket", null, RequestContext.EMPTY)).isTrue();
        assertThat(BucketAccess.allows(map, b, Optional.of(bob), BucketPermission.OWNER, "s3:DeleteBucket", null, RequestContext.EMPTY))
                .as("ownership is never given by a policy").isFalse();
        assertThat(BucketAccess.allows(map, b, Optional.of(bobReadOnly), BucketPermission.WRITE, "s3:PutObject", "x", RequestContext.EMPTY))
                .as("a read-only key never writes").isFalse();
        assertThat(BucketAccess.allows(map, b, Optional.of(alice), BucketPermission.WRITE, "s3:DeleteObject", "keep/x", RequestContext.EMPTY))
                .as("the owner is bound by a deny").isFalse();
        assertThat(BucketAccess.allows(map, b, Optional.of(alice), BucketPermission.WRITE, "s3:DeleteObject", "other", RequestContext.EMPTY)).isTrue();
        assertThat(BucketAccess.allows(map, b, Optional.of(alice), BucketPermission.OWNER, "s3:DeleteBucketPolicy", null, RequestContext.EMPTY))
                .as("but can always change the policy").isTrue();
        assertThat(BucketAccess.allows(map, b, Optional.empty(), BucketPermission.READ, "s3:GetObject", "x", RequestContext.EMPTY)).isFalse();
        // DeleteObjects, judged on the bucket before its keys: allowed if the policy allows it somewhere.
        assertThat(BucketAccess.allows(map, b, Optional.of(bob), BucketPermission.WRITE, "s3:DeleteObject", null, RequestContext.EMPTY)).isTrue();
    }

    @Test
    void aPolicyIsPublicWhenItAllowsEveryoneWithoutFixingTheirAddresses() {
        String stmt = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"%s\",\"Principal\":%s,\"Action\":\"s3:GetObject\","
                + "\"Resource\":\"arn:aws:s3:::b/*\"%s}]}";
        java.util.function.BiFunction<String, String, Boolean> open = (principal, condition) ->
                BucketPolicy.parse(String.format(stmt, "Allow", principal, condition), "b").isPublic();
        assertThat(open.apply("\"*\"", "")).isTrue();
        assertThat(open.apply("{\"AWS\":\"*\"}", "")).isTrue();
        assertThat(open.apply("{\"AWS\":\"arn:aws:iam::1:user/bob\"}", "")).as("a named user").isFalse();
        assertThat(BucketPolicy.parse(String.format(stmt, "Deny", "\"*\"", ""), "b").isPublic()).as("a deny").isFalse();
        assertThat(open.apply("\"*\"", ",\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":[\"192.0.2.0/24\",\"2001:db8::/32\"]}}"))
                .as("fixed address blocks").isFalse();
        assertThat(open.apply("\"*\"", ",\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":[\"192.0.2.0/24\",\"0.0.0.0/0\"]}}"))
                .as("every address").isTrue();
        assertThat(open.apply("\"*\"", ",\"Condition\":{\"IpAddressIfExists\":{\"aws:SourceIp\":\"192.0.2.0/24\"}}")).isTrue();
        assertThat(open.apply("\"*\"", ",\"Condition\":{\"NotIpAddress\":{\"aws:SourceIp\":\"192.0.2.0/24\"}}")).isTrue();
        assertThat(open.apply("\"*\"", ",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"true\"}}")).as("any other key").isTrue();
    }
}
