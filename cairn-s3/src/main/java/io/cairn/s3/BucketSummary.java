package io.cairn.s3;

/** A bucket as listed to S3 clients. */
public record BucketSummary(String name, long createdMillis) {}
