package io.cairn.s3;

/** A part named in a CompleteMultipartUpload request; {@code etag} is without quotes. */
public record CompletedPart(int partNumber, String etag) {}
