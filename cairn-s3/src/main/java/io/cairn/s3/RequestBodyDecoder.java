package io.cairn.s3;

import java.io.BufferedInputStream;
import java.io.InputStream;
import java.util.Map;

/**
 * Turns a raw request body into the bytes the client meant, according to its SigV4 payload mode
 * (hex SHA-256, UNSIGNED-PAYLOAD, or one of the aws-chunked STREAMING-* modes), and attaches every
 * verification the request asks for (x-amz-content-sha256, chunk and trailer signatures,
 * Content-MD5, x-amz-checksum-* headers and trailers, decoded length).
 */
public final class RequestBodyDecoder {
  /** Read buffer in front of the aws-chunked decoder. */
  public static final int READ_BUFFER_BYTES = 64 * 1024;

  private RequestBodyDecoder() {}

  /**
   * @param lengthRequired whether a body without a known length is MissingContentLength
   * @param bytesMax the largest body the operation accepts: a longer declared length is
   *     EntityTooLarge before a byte is read, and a body of unknown length fails as it passes it
   * @param limit the limit in words, for the error ("an object is at most 5 GiB")
   */
  public static DecodedBody open(S3Exchange ex, Authentication auth, boolean lengthRequired, long bytesMax, String limit)
      throws S3Exception {
    return open(ex, auth, lengthRequired, bytesMax, limit, true);
  }

  /**
   * As {@link #open(S3Exchange, Authentication, boolean, long, String)}; with {@code checksumHeaders}
   * false, x-amz-checksum-* headers are not the body's (CompleteMultipartUpload's name the object's).
   */
  public static DecodedBody open(S3Exchange ex, Authentication auth, boolean lengthRequired, long bytesMax, String limit,
      boolean checksumHeaders) throws S3Exception {
    Map<String, String> h = ex.headers();
    long rawLength = parseLength(h.get("content-length"), "Content-Length");
    String te = h.get("transfer-encoding");
    boolean chunkedTransfer = te != null && te.toLowerCase(java.util.Locale.ROOT).contains("chunked");
    if (rawLength < 0 && !chunkedTransfer && lengthRequired) {
      throw new S3Exception(S3Error.MissingContentLength, "you must provide the Content-Length HTTP header");
    }
    InputStream raw = ex.rawBody();
    String mode = auth.payloadHash();
    InputStream body;
    long length;
    switch (mode) {
      case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
           "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
           "STREAMING-UNSIGNED-PAYLOAD-TRAILER" -> {
        boolean signed = mode.startsWith("STREAMING-AWS4");
        boolean trailers = mode.endsWith("-TRAILER");
        length = parseLength(h.get("x-amz-decoded-content-length"), "x-amz-decoded-content-length");
        if (length < 0 && lengthRequired) {
          throw new S3Exception(S3Error.MissingContentLength, "a streaming upload needs x-amz-decoded-content-length");
        }
        BodyChecksum trailerChecksum = null;
        String trailerHeader = h.get("x-amz-trailer");
        if (trailerHeader != null && !trailerHeader.isBlank()) {
          if (!trailers) throw new S3Exception(S3Error.InvalidRequest, "x-amz-trailer needs a STREAMING-*-TRAILER payload mode");
          trailerChecksum = BodyChecksum.fromHeaderName(trailerHeader);
          if (trailerChecksum == null) {
            throw new S3Exception(S3Error.InvalidRequest, "unsupported trailer '" + trailerHeader + "'");
          }
        }
        if (signed && auth.presigned()) {
          throw new S3Exception(S3Error.InvalidRequest, "a presigned request cannot carry a signed streaming body");
        }
        AwsChunkedInputStream.ChunkSigning signing = signed
            ? new AwsChunkedInputStream.ChunkSigning(auth.signingKey(), auth.amzDate(), auth.scope(), auth.seedSignature())
            : null;
        body = new AwsChunkedInputStream(new BufferedInputStream(raw, READ_BUFFER_BYTES), signing, trailers,
            trailerChecksum, length);
      }
      case "UNSIGNED-PAYLOAD" -> {
        body = raw;
        length = rawLength;
      }
      default -> {
        body = VerifyingInputStream.sha256Hex(raw, mode);
        length = rawLength;
      }
    }
    String md5 = h.get("content-md5");
    if (md5 != null) body = VerifyingInputStream.base64(body, BodyChecksum.MD5, md5);
    if (checksumHeaders) {
      for (BodyChecksum c : ObjectChecksum.ALGORITHMS) {
        String value = h.get(c.headerName());
        if (value != null) body = VerifyingInputStream.base64(body, c, value);
      }
    }
    if (length > bytesMax) throw new S3Exception(S3Error.EntityTooLarge, "the body is too large: " + limit);
    if (length >= 0) body = new LengthCheckingInputStream(body, length);
    else body = new CappedInputStream(body, bytesMax, limit);
    return new DecodedBody(body, length);
  }

  private static long parseLength(String value, String name) throws S3Exception {
    if (value == null) return -1;
    try {
      long v = Long.parseLong(value.strip());
      if (v < 0) throw new NumberFormatException();
      return v;
    } catch (NumberFormatException e) {
      throw new S3Exception(S3Error.InvalidArgument, name + " must be a non-negative number");
    }
  }
}
