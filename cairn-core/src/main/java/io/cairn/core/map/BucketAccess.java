package io.cairn.core.map;

import java.util.Optional;

/**
 * Who may do what with a bucket. The owner (a user) may do everything; other users and keys what
 * the bucket's grants give them; anyone, without signing, may read a bucket whose owner made it
 * public. A read-only key never writes, whatever it was granted. Admin users have no rights on
 * other users' buckets through S3: the admin API grants them.
 */
public final class BucketAccess {

    private BucketAccess() {}

    /** The user owning {@code b}: its owner field names a user, or (buckets of older maps) one of the user's access keys. */
    public static String ownerName(ClusterMap map, BucketInfo b) {
        return map.user(b.owner()).map(UserInfo::name).orElse(b.owner());
    }

    /**
     * Whether {@code caller} (empty: an anonymous request) may do what {@code needed} covers with
     * bucket {@code b}.
     */
    public static boolean allows(ClusterMap map, BucketInfo b, Optional<UserInfo> caller, BucketPermission needed) {
        if (caller.isEmpty()) {
            return needed == BucketPermission.READ && b.publicRead();
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
        return needed == BucketPermission.READ && b.publicRead();
    }
}
