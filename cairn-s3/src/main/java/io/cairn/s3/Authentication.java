package io.cairn.s3;

/**
 * A verified SigV4 request: who signed it and what the signature commits to; or an anonymous
 * request ({@link #ANONYMOUS}: no access key), which may only read buckets made public.
 *
 * @param payloadHash the declared x-amz-content-sha256 (a hex digest, UNSIGNED-PAYLOAD or a STREAMING-* mode)
 * @param seedSignature the request signature, which the first chunk signature of a streaming body chains from
 */
public record Authentication(
    String accessKey, byte[] signingKey, String amzDate, String scope, String seedSignature, String payloadHash,
    boolean presigned) {

  /** A request without any signature. */
  public static final Authentication ANONYMOUS = new Authentication(null, null, null, null, null, "UNSIGNED-PAYLOAD", false);

  public boolean anonymous() {
    return accessKey == null;
  }
}
