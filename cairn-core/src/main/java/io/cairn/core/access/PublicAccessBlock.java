package io.cairn.core.access;

/**
 * A bucket's S3 Block Public Access settings: what it refuses or ignores of public ACLs
 * ({@code public-read} and the other canned ACLs that grant to everyone) and public policies
 * (see {@link BucketPolicy#isPublic()}).
 *
 * @param blockPublicAcls       refuse (403) a request that would set a public ACL on the bucket
 *                              or one of its objects
 * @param ignorePublicAcls      let no public ACL of the bucket or of its objects grant anything
 * @param blockPublicPolicy     refuse (403) a bucket policy that is public
 * @param restrictPublicBuckets while the bucket's policy is public, let it grant nothing to
 *                              anonymous requests
 */
public record PublicAccessBlock(boolean blockPublicAcls, boolean ignorePublicAcls, boolean blockPublicPolicy,
                                boolean restrictPublicBuckets) {

    /** No setting: what a bucket without a configuration does. */
    public static final PublicAccessBlock NONE = new PublicAccessBlock(false, false, false, false);
}
