package io.cairn.core.access;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.BucketInfo;
import io.cairn.core.map.UserInfo;
import io.cairn.core.map.BucketPermission;
import io.cairn.core.map.BucketGrant;
import java.util.Optional;

/**
 * Who may do what with a bucket. The owner (a user) may do everything; other users and keys what
 * the bucket's grants give them; anyone, without signing, may read a bucket whose owner made it
 * public. A bucket policy ({@link BucketPolicy}) may allow more actions, to users or to anyone,
 * but never what only the owner may do (its ACL, its policy, deleting it), and its explicit
 * denials hold for everyone, the owner included, except on the policy itself (an owner cannot
 * lock itself out). A read-only key never writes, whatever it was granted. Admin users have no
 * rights on other users' buckets through S3: the admin API grants them.
 */
public final class BucketAccess {

    private BucketAccess() {}

    /** The user owning {@code b}: its owner field names a user, or (buckets of older maps) one of the user's access keys. */
    public static String ownerName(ClusterMap map, BucketInfo b) {
        return map.user(b.owner()).map(UserInfo::name).orElse(b.owner());
    }

    /** The actions on a bucket's policy itself, which its owner may always take. */
    private static final java.util.Set<String> POLICY_ACTIONS = java.util.Set.of("s3:GetBucketPolicy", "s3:PutBucketPolicy",
            "s3:DeleteBucketPolicy");

    /**
     * Whether {@code caller} (empty: an anonymous request) may take S3 action {@code action} (such
     * as {@code s3:GetObject}), which needs {@code needed}, on bucket {@code b}'s object
     * {@code key}, or on the bucket itself when {@code key} is null; {@code ctx} is what the
     * request brings to the policy's conditions. An object action asked of the
     * bucket (DeleteObjects, before each of its keys is judged) is allowed if the policy allows it
     * on some object.
     */
    public static boolean allows(ClusterMap map, BucketInfo b, Optional<UserInfo> caller, BucketPermission needed, String action,
                                 String key, RequestContext ctx) {
        return allows(map, b, caller, needed, action, key, ctx, b.policy() == null ? null : BucketPolicy.parse(b.policy(), b.name()));
    }

    /**
     * As {@link #allows(ClusterMap, BucketInfo, Optional, BucketPermission, String, String, RequestContext)}, with
     * {@code b}'s policy read already (null: none).
     */
    public static boolean allows(ClusterMap map, BucketInfo b, Optional<UserInfo> caller, BucketPermission needed, String action,
                                 String key, RequestContext ctx, BucketPolicy policy) {
        if (caller.isPresent() && caller.get().readOnly() && needed != BucketPermission.READ) {
            return false;
        }
        String user = caller.map(UserInfo::name).orElse(null);
        BucketPolicy.Decision d = BucketPolicy.Decision.NONE;
        if (policy != null) {
            d = key != null || !action.endsWith("Object") ? policy.evaluate(user, action, key == null ? b.name() : b.name() + "/" + key, ctx)
                    : policy.mayAllow(user, action, ctx) ? BucketPolicy.Decision.ALLOW : BucketPolicy.Decision.NONE;
            if (d == BucketPolicy.Decision.ALLOW && caller.isEmpty() && b.publicAccessBlockOrNone().restrictPublicBuckets() && policy.isPublic()) {
                d = BucketPolicy.Decision.NONE; // Block Public Access: a public policy grants anonymous requests nothing
            }
        }
        boolean owner = user != null && ownerName(map, b).equals(user);
        if (d == BucketPolicy.Decision.DENY && !(owner && POLICY_ACTIONS.contains(action))) {
            return false;
        }
        if (allows(map, b, caller, needed)) {
            return true;
        }
        return d == BucketPolicy.Decision.ALLOW && needed != BucketPermission.OWNER;
    }

    /**
     * Whether {@code caller} (empty: an anonymous request) may do what {@code needed} covers with
     * bucket {@code b}, by its owner, grants and ACL alone.
     */
    public static boolean allows(ClusterMap map, BucketInfo b, Optional<UserInfo> caller, BucketPermission needed) {
        // A public-read ACL grants nothing while Block Public Access ignores public ACLs or Object Ownership disables ACLs.
        boolean publicRead = b.publicRead() && !b.publicAccessBlockOrNone().ignorePublicAcls() && !b.aclsDisabled();
        if (caller.isEmpty()) {
            return needed == BucketPermission.READ && publicRead;
        }
        UserInfo c = caller.get();
        if (c.readOnly() && needed != BucketPermission.READ) {
            return false;
        }
        if (ownerName(map, b).equals(c.name())) {
            return true;
        }
        for (BucketGrant g : b.grants()) {
            if (g.names(c) && g.permission().includes(needed)) {
                return true;
            }
        }
        return needed == BucketPermission.READ && publicRead;
    }
}
