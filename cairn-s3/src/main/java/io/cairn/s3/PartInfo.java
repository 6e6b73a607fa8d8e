package io.cairn.s3;

/**
 * A stored part of a multipart upload; {@code etag} is without quotes; {@code checksum} is the
 * part's, kept when its upload has a checksum algorithm (its type is the upload's), or null.
 */
public record PartInfo(int partNumber, String etag, long size, long lastModifiedMillis, ObjectChecksum.Stored checksum) {
  public PartInfo(int partNumber, String etag, long size, long lastModifiedMillis) {
    this(partNumber, etag, size, lastModifiedMillis, null);
  }
}
