package io.cairn.s3;

/** A stored part of a multipart upload; {@code etag} is without quotes. */
public record PartInfo(int partNumber, String etag, long size, long lastModifiedMillis) {}
