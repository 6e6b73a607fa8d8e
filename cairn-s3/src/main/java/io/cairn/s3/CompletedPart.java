package io.cairn.s3;

/**
 * A part named in a CompleteMultipartUpload request; {@code etag} is without quotes; {@code checksum}
 * is the part's checksum the request names ({@code ChecksumCRC32} and the like), or null.
 */
public record CompletedPart(int partNumber, String etag, ObjectChecksum.Stored checksum) {
  public CompletedPart(int partNumber, String etag) {
    this(partNumber, etag, null);
  }
}
