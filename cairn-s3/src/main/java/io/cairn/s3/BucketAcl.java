package io.cairn.s3;

/**
 * Who a bucket's ACL shows: its owner (a user name), and whether anyone may read it unsigned
 * (the canned ACL {@code public-read}).
 */
public record BucketAcl(String owner, boolean publicRead) {}
