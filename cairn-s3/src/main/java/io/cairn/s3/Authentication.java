package io.cairn.s3;

/**
 * A verified SigV4 request: who signed it and what the signature commits to.
 *
 * @param payloadHash the declared x-amz-content-sha256 (a hex digest, UNSIGNED-PAYLOAD or a STREAMING-* mode)
 * @param seedSignature the request signature, which the first chunk signature of a streaming body chains from
 */
public record Authentication(
    String accessKey, byte[] signingKey, String amzDate, String scope, String seedSignature, String payloadHash,
    boolean presigned) {}
