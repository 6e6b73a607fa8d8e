package io.cairn.s3;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The pure functions of AWS Signature Version 4 as S3 uses it: canonical request, string to sign,
 * signing key and the chunk and trailer signatures of aws-chunked bodies. No I/O, no clock.
 */
public final class SigV4Signer {
  public static final String ALGORITHM = "AWS4-HMAC-SHA256";
  public static final String SERVICE = "s3";
  public static final String TERMINATOR = "aws4_request";
  public static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  private static final HexFormat HEX = HexFormat.of();

  private SigV4Signer() {}

  /**
   * AWS UriEncode: unreserved characters (A-Z a-z 0-9 - . _ ~) stay, everything else becomes %XX of
   * its UTF-8 bytes (upper-case hex); '/' stays when {@code keepSlash}.
   */
  public static String uriEncode(String s, boolean keepSlash) {
    StringBuilder sb = new StringBuilder(s.length() + 16);
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    for (byte b : bytes) {
      int c = b & 0xff;
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
          || c == '-' || c == '.' || c == '_' || c == '~' || (keepSlash && c == '/')) {
        sb.append((char) c);
      } else {
        sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return sb.toString();
  }

  /**
   * The canonical URI of a raw (as sent) request path: decoded once and encoded once with '/' kept,
   * as S3 does (no double encoding). An escaped slash becomes a plain one, which is what the AWS SDKs
   * sign when they escape the second slash of "//" in a key.
   */
  public static String canonicalUri(String rawPath) throws S3Exception {
    if (rawPath == null || rawPath.isEmpty()) return "/";
    return uriEncode(QueryParameters.decode(rawPath, false), true);
  }

  /**
   * The canonical URI of a raw path with escaped slashes kept escaped (each segment decoded and
   * encoded on its own), for clients that sign "%2F" inside a key.
   */
  public static String canonicalUriKeepingEscapedSlashes(String rawPath) throws S3Exception {
    if (rawPath == null || rawPath.isEmpty()) return "/";
    StringBuilder sb = new StringBuilder(rawPath.length() + 16);
    int start = 0;
    while (true) {
      int slash = rawPath.indexOf('/', start);
      String segment = slash < 0 ? rawPath.substring(start) : rawPath.substring(start, slash);
      sb.append(uriEncode(QueryParameters.decode(segment, false), false));
      if (slash < 0) break;
      sb.append('/');
      start = slash + 1;
    }
    return sb.toString();
  }

  /** Sorted, encoded query parameters; {@code X-Amz-Signature} is left out (presigned URLs). */
  public static String canonicalQuery(List<QueryParameters.Parameter> parameters) {
    List<String[]> encoded = new ArrayList<>(parameters.size());
    for (QueryParameters.Parameter p : parameters) {
      if (p.name().equals("X-Amz-Signature")) continue;
      encoded.add(new String[] {uriEncode(p.name(), false), uriEncode(p.value(), false)});
    }
    encoded.sort(Comparator.<String[], String>comparing(e -> e[0]).thenComparing(e -> e[1]));
    StringBuilder sb = new StringBuilder();
    for (String[] e : encoded) {
      if (!sb.isEmpty()) sb.append('&');
      sb.append(e[0]).append('=').append(e[1]);
    }
    return sb.toString();
  }

  /** A header value as it appears in the canonical request: trimmed, inner runs of spaces collapsed. */
  public static String canonicalHeaderValue(String value) {
    return value.strip().replaceAll("\\s+", " ");
  }

  /**
   * The canonical request.
   *
   * @param signedHeaders lower-case header names in the order given by the client (sorted)
   * @param headerValues lower-case header name to its (comma-joined) value
   */
  public static String canonicalRequest(
      String method, String canonicalUri, String canonicalQuery, List<String> signedHeaders,
      Map<String, String> headerValues, String payloadHash) throws S3Exception {
    StringBuilder sb = new StringBuilder(512);
    sb.append(method).append('\n').append(canonicalUri).append('\n').append(canonicalQuery).append('\n');
    for (String name : signedHeaders) {
      String value = headerValues.get(name);
      if (value == null) {
        throw new S3Exception(S3Error.AccessDenied, "signed header '" + name + "' is not in the request");
      }
      sb.append(name).append(':').append(canonicalHeaderValue(value)).append('\n');
    }
    sb.append('\n').append(String.join(";", signedHeaders)).append('\n').append(payloadHash);
    return sb.toString();
  }

  /** The credential scope {@code date/region/s3/aws4_request}. */
  public static String scope(String date, String region) {
    return date + "/" + region + "/" + SERVICE + "/" + TERMINATOR;
  }

  public static String stringToSign(String amzDate, String scope, String canonicalRequest) {
    return ALGORITHM + "\n" + amzDate + "\n" + scope + "\n" + sha256Hex(canonicalRequest.getBytes(StandardCharsets.UTF_8));
  }

  /** The string signed for one chunk of a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body. */
  public static String chunkStringToSign(String amzDate, String scope, String previousSignature, String chunkSha256Hex) {
    return "AWS4-HMAC-SHA256-PAYLOAD\n" + amzDate + "\n" + scope + "\n" + previousSignature + "\n"
        + EMPTY_SHA256 + "\n" + chunkSha256Hex;
  }

  /** The string signed for the trailing headers of a STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER body. */
  public static String trailerStringToSign(String amzDate, String scope, String previousSignature, String canonicalTrailers) {
    return "AWS4-HMAC-SHA256-TRAILER\n" + amzDate + "\n" + scope + "\n" + previousSignature + "\n"
        + sha256Hex(canonicalTrailers.getBytes(StandardCharsets.UTF_8));
  }

  /** kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), "s3"), "aws4_request"). */
  public static byte[] signingKey(String secret, String date, String region) {
    byte[] k = hmac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), date);
    k = hmac(k, region);
    k = hmac(k, SERVICE);
    return hmac(k, TERMINATOR);
  }

  public static String signature(byte[] signingKey, String stringToSign) {
    return HEX.formatHex(hmac(signingKey, stringToSign));
  }

  /** Compares two signatures in time independent of where they differ. */
  public static boolean signaturesEqual(String expected, String actual) {
    return MessageDigest.isEqual(
        expected.getBytes(StandardCharsets.US_ASCII), actual.getBytes(StandardCharsets.US_ASCII));
  }

  public static String sha256Hex(byte[] data) {
    return HEX.formatHex(newSha256().digest(data));
  }

  public static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JDK", e);
    }
  }

  private static byte[] hmac(byte[] key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 missing from the JDK", e);
    }
  }
}
