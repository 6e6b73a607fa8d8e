package io.cairn.core.access;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.BucketInfo;
import io.cairn.core.map.UserInfo;
import io.cairn.core.map.BucketPermission;
import io.cairn.core.map.BucketGrant;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BucketAccessTest {

    static final UserInfo ALICE = new UserInfo("AK1", "s", "alice", false);
    static final UserInfo ALICE_RO = new UserInfo("AK2", "s", "alice", false, true);
    static final UserInfo BOB = new UserInfo("BK1", "s", "bob", false);
    static final UserInfo BOB2 = new UserInfo("BK2", "s", "bob", false);
    static final UserInfo ADMIN = new UserInfo("RK", "s", "root", true);

    private static ClusterMap map(BucketInfo b) {
        return new ClusterMap(3, "c", List.of(), List.of(), List.of(b), List.of(ALICE, ALICE_RO, BOB, BOB2, ADMIN));
    }

    private static boolean allows(BucketInfo b, UserInfo caller, BucketPermission p) {
        return BucketAccess.allows(map(b), b, Optional.ofNullable(caller), p);
    }

    @Test
    void theOwnerMayDoEverythingAndOthersNothing() {
        BucketInfo b = new BucketInfo("b", "p", "alice", 1, 1);
        for (BucketPermission p : BucketPermission.values()) {
            assertThat(allows(b, ALICE, p)).isTrue();
            assertThat(allows(b, BOB, p)).isFalse();
            assertThat(allows(b, ADMIN, p)).as("admins have no S3 rights on others' buckets").isFalse();
            assertThat(allows(b, null, p)).isFalse();
        }
    }

    @Test
    void aReadOnlyKeyOfTheOwnerOnlyReads() {
        BucketInfo b = new BucketInfo("b", "p", "alice", 1, 1);
        assertThat(allows(b, ALICE_RO, BucketPermission.READ)).isTrue();
        assertThat(allows(b, ALICE_RO, BucketPermission.WRITE)).isFalse();
        assertThat(allows(b, ALICE_RO, BucketPermission.OWNER)).isFalse();
    }

    @Test
    void grantsToAUserCoverAllItsKeysAndToAKeyOnlyThatKey() {
        BucketInfo toUser = new BucketInfo("b", "p", "alice", 1, 1, null, List.of(BucketGrant.toUser("bob", BucketPermission.WRITE)), false);
        assertThat(allows(toUser, BOB, BucketPermission.READ)).isTrue();
        assertThat(allows(toUser, BOB2, BucketPermission.WRITE)).isTrue();
        assertThat(allows(toUser, BOB, BucketPermission.OWNER)).isFalse();
        BucketInfo toKey = new BucketInfo("b", "p", "alice", 1, 1, null, List.of(BucketGrant.toKey("BK2", BucketPermission.READ)), false);
        assertThat(allows(toKey, BOB2, BucketPermission.READ)).isTrue();
        assertThat(allows(toKey, BOB2, BucketPermission.WRITE)).isFalse();
        assertThat(allows(toKey, BOB, BucketPermission.READ)).isFalse();
    }

    @Test
    void aPublicReadBucketIsReadableByAnyoneAndWritableByNoOtherOne() {
        BucketInfo b = new BucketInfo("b", "p", "alice", 1, 1, null, List.of(), true);
        assertThat(allows(b, null, BucketPermission.READ)).isTrue();
        assertThat(allows(b, null, BucketPermission.WRITE)).isFalse();
        assertThat(allows(b, BOB, BucketPermission.READ)).isTrue();
        assertThat(allows(b, BOB, BucketPermission.WRITE)).isFalse();
    }

    @Test
    void aBucketOwnedByAnAccessKeyInAnOlderMapBelongsToThatKeysUser() {
        BucketInfo b = new BucketInfo("b", "p", "AK1", 1, 1);
        assertThat(BucketAccess.ownerName(map(b), b)).isEqualTo("alice");
        assertThat(allows(b, ALICE_RO, BucketPermission.READ)).isTrue();
    }

    @Test
    void aPublicAccessBlockIgnoresPublicAclsAndRestrictsPublicPolicies() {
        BucketInfo open = new BucketInfo("b", "p", "alice", 1, 1, null, List.of(), true);
        assertThat(allows(open, null, BucketPermission.READ)).isTrue();
        assertThat(allows(open, BOB, BucketPermission.READ)).isTrue();
        BucketInfo ignoring = open.withPublicAccessBlock(new PublicAccessBlock(false, true, false, false));
        assertThat(allows(ignoring, null, BucketPermission.READ)).isFalse();
        assertThat(allows(ignoring, BOB, BucketPermission.READ)).isFalse();
        assertThat(allows(ignoring, ALICE, BucketPermission.READ)).isTrue();
        assertThat(allows(open.withPublicAccessBlock(new PublicAccessBlock(true, false, true, true)), null, BucketPermission.READ))
                .as("the other three settings leave ACLs in force").isTrue();

        String everyone = "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                + "\"Resource\":\"arn:aws:s3:::b/*\"}]}";
        BucketInfo publicPolicy = new BucketInfo("b", "p", "alice", 1, 1).withPolicy(everyone);
        java.util.function.BiFunction<BucketInfo, UserInfo, Boolean> get = (b, caller) -> BucketAccess.allows(map(b), b,
                Optional.ofNullable(caller), BucketPermission.READ, "s3:GetObject", "k", RequestContext.EMPTY);
        assertThat(get.apply(publicPolicy, null)).isTrue();
        BucketInfo restricted = publicPolicy.withPublicAccessBlock(new PublicAccessBlock(false, false, false, true));
        assertThat(get.apply(restricted, null)).isFalse();
        assertThat(get.apply(restricted, BOB)).as("users of the cluster still get what the policy allows").isTrue();
        assertThat(get.apply(publicPolicy.withPublicAccessBlock(new PublicAccessBlock(true, true, true, false)), null)).isTrue();
    }

    @Test
    void objectOwnershipEnforcedLeavesPublicAclsGrantingNothingAndKeepsGrantsAndPolicies() {
        BucketInfo open = new BucketInfo("b", "p", "alice", 1, 1, null, List.of(), true);
        BucketInfo enforced = open.withObjectOwnership(BucketInfo.OWNERSHIP_ENFORCED);
        assertThat(enforced.aclsDisabled()).isTrue();
        assertThat(allows(enforced, null, BucketPermission.READ)).isFalse();
        assertThat(allows(enforced, BOB, BucketPermission.READ)).isFalse();
        assertThat(allows(enforced, ALICE, BucketPermission.OWNER)).isTrue();
        BucketInfo preferred = open.withObjectOwnership(BucketInfo.OWNERSHIP_PREFERRED);
        assertThat(preferred.aclsDisabled()).isFalse();
        assertThat(allows(preferred, null, BucketPermission.READ)).isTrue();
        String everyone = "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\","
                + "\"Resource\":\"arn:aws:s3:::b/*\"}]}";
        BucketInfo byPolicy = new BucketInfo("b", "p", "alice", 1, 1).withPolicy(everyone).withObjectOwnership(BucketInfo.OWNERSHIP_ENFORCED);
        assertThat(BucketAccess.allows(map(byPolicy), byPolicy, Optional.empty(), BucketPermission.READ, "s3:GetObject", "k",
                RequestContext.EMPTY)).as("a policy still opens the bucket").isTrue();
        assertThat(enforced.withPolicy(everyone).objectOwnership()).as("kept by the other with* copies").isEqualTo(BucketInfo.OWNERSHIP_ENFORCED);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> open.withObjectOwnership("ObjectWriter"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
