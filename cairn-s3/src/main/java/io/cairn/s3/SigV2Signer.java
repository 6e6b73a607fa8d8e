package io.cairn.s3;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The pure functions of AWS Signature Version 2 as S3 uses it (the legacy HMAC-SHA1 scheme that
 * boto3 still uses for presigned URLs by default): string to sign and signature. No I/O, no clock.
 */
public final class SigV2Signer {
  /** The prefix of a SigV2 Authorization header: {@code AWS <access key>:<signature>}. */
  public static final String AUTHORIZATION_PREFIX = "AWS ";
  /** Query parameters that belong to the canonical resource (S3's list of sub-resources and overrides). */
  static final Set<String> SIGNED_SUBRESOURCES = Set.of(
      "acl", "cors", "delete", "lifecycle", "location", "logging", "notification", "partNumber", "policy",
      "requestPayment", "restore", "tagging", "torrent", "uploadId", "uploads", "versionId", "versioning",
      "versions", "website", "accelerate", "analytics", "inventory", "metrics", "replication", "encryption",
      "object-lock", "legal-hold", "retention", "select", "select-type", "ownershipControls", "publicAccessBlock",
      "response-cache-control", "response-content-disposition", "response-content-encoding",
      "response-content-language", "response-content-type", "response-expires");

  private SigV2Signer() {}

  /**
   * The string to sign.
   *
   * @param dateOrExpires the Date header (empty when x-amz-date is sent), or the Expires parameter of a presigned URL
   * @param headers lower-case header names to (comma-joined) values
   * @param canonicalResource from {@link #canonicalResource}
   */
  public static String stringToSign(
      String method, Map<String, String> headers, String dateOrExpires, String canonicalResource) {
    StringBuilder sb = new StringBuilder(256);
    sb.append(method).append('\n')
        .append(headers.getOrDefault("content-md5", "")).append('\n')
        .append(headers.getOrDefault("content-type", "")).append('\n')
        .append(dateOrExpires).append('\n');
    Map<String, String> amz = new TreeMap<>();
    for (var e : headers.entrySet()) {
      if (e.getKey().startsWith("x-amz-")) amz.put(e.getKey(), SigV4Signer.canonicalHeaderValue(e.getValue()));
    }
    for (var e : amz.entrySet()) sb.append(e.getKey()).append(':').append(e.getValue()).append('\n');
    return sb.append(canonicalResource).toString();
  }

  /**
   * The canonical resource: the path as sent (still percent-encoded, with the bucket in front for
   * virtual-host requests), then the signed sub-resources sorted by name, with decoded values.
   */
  public static String canonicalResource(String rawPath, List<QueryParameters.Parameter> parameters) {
    List<QueryParameters.Parameter> signed = new ArrayList<>();
    for (QueryParameters.Parameter p : parameters) {
      if (SIGNED_SUBRESOURCES.contains(p.name())) signed.add(p);
    }
    signed.sort(Comparator.comparing(QueryParameters.Parameter::name));
    StringBuilder sb = new StringBuilder(rawPath);
    char separator = '?';
    for (QueryParameters.Parameter p : signed) {
      sb.append(separator).append(p.name());
      if (!p.value().isEmpty()) sb.append('=').append(p.value());
      separator = '&';
    }
    return sb.toString();
  }

  /** Base64 of HMAC-SHA1(secret, stringToSign). */
  public static String signature(String secret, String stringToSign) {
    try {
      Mac mac = Mac.getInstance("HmacSHA1");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
      return Base64.getEncoder().encodeToString(mac.doFinal(stringToSign.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA1 missing from the JDK", e);
    }
  }

  /** Whether a query parameter name marks a SigV2 presigned URL. */
  public static boolean isPresigned(QueryParameters query) {
    return query.has("AWSAccessKeyId") && query.has("Signature");
  }
}
