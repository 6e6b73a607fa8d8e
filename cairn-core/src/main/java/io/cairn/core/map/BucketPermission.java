package io.cairn.core.map;

/** What a caller may do with a bucket; each level includes the ones before it. */
public enum BucketPermission {
    /** List the bucket and read its objects and uploads. */
    READ,
    /** Also write and delete objects and run multipart uploads. */
    WRITE,
    /** Also delete the bucket and change who may use it. */
    OWNER;

    public boolean includes(BucketPermission other) {
        return compareTo(other) >= 0;
    }
}
