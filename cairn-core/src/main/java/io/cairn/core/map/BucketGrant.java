package io.cairn.core.map;

import java.util.Objects;

/**
 * A permission on a bucket given to a user ({@code user}: its name) or to one access key
 * ({@code key}): exactly one of them is set.
 */
public record BucketGrant(String user, String key, BucketPermission permission) {

    public BucketGrant {
        if ((user == null) == (key == null)) {
            throw new IllegalArgumentException("a grant names a user or a key, not both or neither");
        }
        Objects.requireNonNull(permission, "permission");
    }

    public static BucketGrant toUser(String user, BucketPermission permission) {
        return new BucketGrant(user, null, permission);
    }

    public static BucketGrant toKey(String accessKey, BucketPermission permission) {
        return new BucketGrant(null, accessKey, permission);
    }

    /** Whether this grant names the caller (by its user or its key). */
    public boolean names(UserInfo caller) {
        return user != null ? user.equals(caller.name()) : key.equals(caller.accessKey());
    }
}
