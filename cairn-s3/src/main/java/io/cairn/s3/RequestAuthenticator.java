package io.cairn.s3;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Verifies AWS SigV4 requests, signed in the Authorization header or presigned in the query string.
 * The time is passed in; this class reads no clock.
 */
public final class RequestAuthenticator {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RequestAuthenticator.class);
  /** Longest validity of a presigned URL S3 accepts: seven days. */
  public static final long PRESIGNED_EXPIRES_MAX_SECONDS = 7 * 24 * 3600;
  private static final DateTimeFormatter AMZ_DATE =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final String region;
  private final long maxSkewMillis;
  private final Function<String, Optional<String>> secrets;
  private final SigningKeyCache keyCache;

  public RequestAuthenticator(
      String region, long maxSkewMillis, Function<String, Optional<String>> secrets, SigningKeyCache keyCache) {
    this.region = region;
    this.maxSkewMillis = maxSkewMillis;
    this.secrets = secrets;
    this.keyCache = keyCache;
  }

  /**
   * Verifies the request.
   *
   * @param rawPath the path as sent, still percent-encoded
   * @param headers lower-case header names to comma-joined values
   */
  public Authentication authenticate(
      String method, String rawPath, QueryParameters query, Map<String, String> headers, long nowMillis)
      throws S3Exception {
    return authenticate(method, rawPath, query, headers, nowMillis, null);
  }

  /**
   * Verifies the request.
   *
   * @param rawPath the path as sent, still percent-encoded
   * @param headers lower-case header names to comma-joined values
   * @param virtualHostBucketOrNull the bucket named by the Host header, which SigV2 signs in front of the path
   */
  public Authentication authenticate(
      String method, String rawPath, QueryParameters query, Map<String, String> headers, long nowMillis,
      String virtualHostBucketOrNull) throws S3Exception {
    if (query.has("X-Amz-Algorithm")) return presigned(method, rawPath, query, headers, nowMillis);
    String v2Resource = virtualHostBucketOrNull == null ? rawPath : "/" + virtualHostBucketOrNull + rawPath;
    if (SigV2Signer.isPresigned(query)) return presignedV2(method, v2Resource, query, headers, nowMillis);
    String authorization = headers.get("authorization");
    if (authorization == null) {
      return Authentication.ANONYMOUS; // what it may do is the bucket's to say (public-read), and nothing else
    }
    if (authorization.isBlank()) {
      throw new S3Exception(S3Error.AccessDenied, "an empty Authorization header: sign the request with AWS SigV4");
    }
    if (authorization.startsWith(SigV2Signer.AUTHORIZATION_PREFIX)) {
      return headerV2(method, v2Resource, query, headers, authorization, nowMillis);
    }
    if (!authorization.startsWith(SigV4Signer.ALGORITHM + " ")) {
      throw new S3Exception(S3Error.AccessDenied,
          "unsupported Authorization header: only " + SigV4Signer.ALGORITHM + " (SigV4) is accepted");
    }
    String credential = null, signedHeaders = null, signature = null;
    for (String part : authorization.substring(SigV4Signer.ALGORITHM.length() + 1).split(",")) {
      String p = part.strip();
      int eq = p.indexOf('=');
      if (eq < 0) continue;
      String name = p.substring(0, eq), value = p.substring(eq + 1).strip();
      switch (name) {
        case "Credential" -> credential = value;
        case "SignedHeaders" -> signedHeaders = value;
        case "Signature" -> signature = value;
        default -> { }
      }
    }
    if (credential == null || signedHeaders == null || signature == null) {
      throw new S3Exception(S3Error.AccessDenied,
          "malformed Authorization header: it needs Credential, SignedHeaders and Signature");
    }
    String amzDate = headers.get("x-amz-date");
    if (amzDate == null) amzDate = fromHttpDate(headers.get("date"));
    Instant signedAt = parseAmzDate(amzDate, S3Error.AccessDenied);
    checkSkew(signedAt, nowMillis);
    String payloadHash = headers.get("x-amz-content-sha256");
    if (payloadHash == null) {
      throw new S3Exception(S3Error.InvalidRequest, "missing required header x-amz-content-sha256");
    }
    return verify(method, rawPath, query, headers, credential, signedHeaders, signature, amzDate, payloadHash,
        payloadHash, false, S3Error.AccessDenied);
  }

  private Authentication presigned(
      String method, String rawPath, QueryParameters query, Map<String, String> headers, long nowMillis)
      throws S3Exception {
    if (!SigV4Signer.ALGORITHM.equals(query.first("X-Amz-Algorithm"))) {
      throw new S3Exception(S3Error.AuthorizationQueryParametersError,
          "X-Amz-Algorithm must be " + SigV4Signer.ALGORITHM);
    }
    String credential = query.first("X-Amz-Credential");
    String amzDate = query.first("X-Amz-Date");
    String expires = query.first("X-Amz-Expires");
    String signedHeaders = query.first("X-Amz-SignedHeaders");
    String signature = query.first("X-Amz-Signature");
    if (credential == null || amzDate == null || expires == null || signedHeaders == null || signature == null) {
      throw new S3Exception(S3Error.AuthorizationQueryParametersError,
          "a presigned URL needs X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders and X-Amz-Signature");
    }
    long expiresSeconds;
    try {
      expiresSeconds = Long.parseLong(expires);
    } catch (NumberFormatException e) {
      throw new S3Exception(S3Error.AuthorizationQueryParametersError, "X-Amz-Expires must be a number of seconds");
    }
    if (expiresSeconds < 1 || expiresSeconds > PRESIGNED_EXPIRES_MAX_SECONDS) {
      throw new S3Exception(S3Error.AccessDenied,
          "X-Amz-Expires must be between 1 and " + PRESIGNED_EXPIRES_MAX_SECONDS + " seconds");
    }
    Instant signedAt = parseAmzDate(amzDate, S3Error.AuthorizationQueryParametersError);
    if (signedAt.toEpochMilli() - maxSkewMillis > nowMillis) {
      throw new S3Exception(S3Error.AccessDenied, "request is not valid yet");
    }
    if (nowMillis > signedAt.toEpochMilli() + expiresSeconds * 1000) {
      throw new S3Exception(S3Error.AccessDenied, "request has expired");
    }
    // As S3 does: whoever holds a presigned URL may not add x-amz-* headers the signer did not
    // sign (an x-amz-copy-source would turn a PUT into a copy of any object the signer can read).
    List<String> signedNames = Arrays.asList(signedHeaders.split(";"));
    for (String name : headers.keySet()) {
      if (name.startsWith("x-amz-") && !name.equals("x-amz-content-sha256") && !signedNames.contains(name)) {
        throw new S3Exception(S3Error.AccessDenied,
            "there were headers present in the request which were not signed: " + name);
      }
    }
    String payloadHash = query.firstOr("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD");
    return verify(method, rawPath, query, headers, credential, signedHeaders, signature, amzDate, payloadHash,
        "UNSIGNED-PAYLOAD", true, S3Error.AuthorizationQueryParametersError);
  }

  /** SigV2 in the Authorization header: {@code AWS <access key>:<base64 HMAC-SHA1>}. */
  private Authentication headerV2(
      String method, String resource, QueryParameters query, Map<String, String> headers, String authorization,
      long nowMillis) throws S3Exception {
    String credentials = authorization.substring(SigV2Signer.AUTHORIZATION_PREFIX.length()).strip();
    int colon = credentials.lastIndexOf(':');
    if (colon <= 0 || colon == credentials.length() - 1) {
      throw new S3Exception(S3Error.AccessDenied, "malformed Authorization header: expected 'AWS <access key>:<signature>'");
    }
    String amzDate = headers.get("x-amz-date");
    String date = headers.get("date");
    String signedDate = amzDate != null ? amzDate : date;
    if (signedDate == null || signedDate.isBlank()) {
      throw new S3Exception(S3Error.AccessDenied, "AWS authentication requires a valid Date or x-amz-date header");
    }
    long signedAtMillis = HttpDates.parseRfc1123IgnoringWeekday(signedDate);
    if (signedAtMillis < 0) {
      throw new S3Exception(S3Error.AccessDenied, "AWS authentication requires a valid Date or x-amz-date header");
    }
    checkSkew(Instant.ofEpochMilli(signedAtMillis), nowMillis);
    return verifyV2(method, resource, query, headers, credentials.substring(0, colon),
        credentials.substring(colon + 1), amzDate != null ? "" : date, false);
  }

  /** SigV2 presigned URL: AWSAccessKeyId, Expires (epoch seconds) and Signature in the query. */
  private Authentication presignedV2(
      String method, String resource, QueryParameters query, Map<String, String> headers, long nowMillis)
      throws S3Exception {
    String expires = query.first("Expires");
    if (expires == null) {
      throw new S3Exception(S3Error.AccessDenied, "a SigV2 presigned URL needs AWSAccessKeyId, Signature and Expires");
    }
    long expiresSeconds;
    try {
      expiresSeconds = Long.parseLong(expires.strip());
    } catch (NumberFormatException e) {
      throw new S3Exception(S3Error.AccessDenied, "Expires must be a number of seconds since the epoch");
    }
    if (nowMillis / 1000 > expiresSeconds) throw new S3Exception(S3Error.AccessDenied, "request has expired");
    // A '+' of the base64 signature that the client did not escape arrives decoded as a space.
    String signature = query.first("Signature").replace(' ', '+');
    return verifyV2(method, resource, query, headers, query.first("AWSAccessKeyId"), signature, expires, true);
  }

  /**
   * The request's header values as its client signed them. The HTTP server reads a header's bytes
   * one character each (ISO-8859-1), but a client signs the text it sent, as UTF-8: botocore
   * sends {@code x-amz-meta-a: café} as the bytes {@code caf\xc3\xa9} and signs them, which read
   * one character each are {@code cafÃ©}. So a value whose bytes are UTF-8 (and not ASCII alone)
   * is signed as the text they encode; any other value as it reads.
   */
  static Map<String, String> asSigned(Map<String, String> headers) {
    Map<String, String> out = null;
    for (Map.Entry<String, String> e : headers.entrySet()) {
      String v = e.getValue();
      String signed = asSigned(v);
      if (signed != v) {
        if (out == null) out = new java.util.HashMap<>(headers);
        out.put(e.getKey(), signed);
      }
    }
    return out == null ? headers : out;
  }

  /** One header value as {@link #asSigned(Map)} says: the same instance when it reads as it was signed. */
  static String asSigned(String value) {
    boolean ascii = true;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c > 0xff) return value; // not bytes read one character each
      if (c >= 0x80) ascii = false;
    }
    if (ascii) return value;
    byte[] bytes = value.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    try {
      return java.nio.charset.StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
          .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    } catch (java.nio.charset.CharacterCodingException notUtf8) {
      return value;
    }
  }

  private Authentication verifyV2(
      String method, String resource, QueryParameters query, Map<String, String> headers, String accessKey,
      String signature, String dateOrExpires, boolean presigned) throws S3Exception {
    String payload = headers.get("x-amz-content-sha256");
    if (payload != null && payload.startsWith("STREAMING-")) {
      throw new S3Exception(S3Error.InvalidRequest, "aws-chunked bodies need SigV4 signing");
    }
    String secret = secretOf(accessKey);
    headers = asSigned(headers);
    String stringToSign = SigV2Signer.stringToSign(method, headers, dateOrExpires,
        SigV2Signer.canonicalResource(resource, query.all()));
    boolean match = SigV4Signer.signaturesEqual(SigV2Signer.signature(secret, stringToSign), signature);
    if (!match) {
      String reEncoded = SigV4Signer.uriEncode(QueryParameters.decode(resource, false), true);
      if (!reEncoded.equals(resource)) {
        stringToSign = SigV2Signer.stringToSign(method, headers, dateOrExpires,
            SigV2Signer.canonicalResource(reEncoded, query.all()));
        match = SigV4Signer.signaturesEqual(SigV2Signer.signature(secret, stringToSign), signature);
      }
    }
    if (!match && resource.length() > 1 && resource.indexOf('/', 1) < 0) {
      // A bucket's own resource, which botocore signs with a slash after the bucket's name (/bucket/).
      stringToSign = SigV2Signer.stringToSign(method, headers, dateOrExpires, SigV2Signer.canonicalResource(resource + "/", query.all()));
      match = SigV4Signer.signaturesEqual(SigV2Signer.signature(secret, stringToSign), signature);
    }
    if (!match) {
      LOG.debug("SigV2 signature mismatch for access key {}; string to sign:\n{}", accessKey, stringToSign);
      throw S3Exception.signatureMismatch(accessKey);
    }
    // SigV2 signs no payload hash: the body is taken as sent (Content-MD5 is still checked if present).
    String bodyMode = payload != null && payload.length() == 64 ? payload : "UNSIGNED-PAYLOAD";
    return new Authentication(accessKey, null, null, null, signature, bodyMode, presigned);
  }

  private Authentication verify(
      String method, String rawPath, QueryParameters query, Map<String, String> headers, String credential,
      String signedHeaders, String signature, String amzDate, String signedPayloadHash, String bodyMode,
      boolean presigned, S3Error malformed) throws S3Exception {
    String[] credentialParts = credentialScope(credential, amzDate, presigned, malformed);
    String accessKey = credentialParts[0], date = credentialParts[1], credRegion = credentialParts[2];
    List<String> signed = Arrays.asList(signedHeaders.split(";"));
    if (!signed.contains("host")) throw new S3Exception(malformed, "the host header must be signed");
    for (String h : signed) {
      if (!h.equals(h.toLowerCase(java.util.Locale.ROOT)) || h.isEmpty()) {
        throw new S3Exception(malformed, "SignedHeaders must be lower-case names separated by ';'");
      }
    }
    String secret = secretOf(accessKey);
    headers = asSigned(headers);
    String canonicalQuery = SigV4Signer.canonicalQuery(query.all());
    String scope = SigV4Signer.scope(date, credRegion);
    byte[] key = keyCache.signingKey(accessKey, secret, date, credRegion);
    String canonicalRequest = SigV4Signer.canonicalRequest(method, SigV4Signer.canonicalUri(rawPath),
        canonicalQuery, signed, headers, signedPayloadHash);
    String expected = SigV4Signer.signature(key, SigV4Signer.stringToSign(amzDate, scope, canonicalRequest));
    if (!SigV4Signer.signaturesEqual(expected, signature) && rawPath.toUpperCase(java.util.Locale.ROOT).contains("%2F")) {
      canonicalRequest = SigV4Signer.canonicalRequest(method, SigV4Signer.canonicalUriKeepingEscapedSlashes(rawPath),
          canonicalQuery, signed, headers, signedPayloadHash);
      expected = SigV4Signer.signature(key, SigV4Signer.stringToSign(amzDate, scope, canonicalRequest));
    }
    if (!SigV4Signer.signaturesEqual(expected, signature)) {
      LOG.debug("signature mismatch for access key {}; canonical request:\n{}", accessKey, canonicalRequest);
      throw S3Exception.signatureMismatch(accessKey);
    }
    return new Authentication(accessKey, key, amzDate, scope, signature, bodyMode, presigned);
  }

  /**
   * Verifies the signature of a browser-based upload's policy: SigV4 ({@code x-amz-algorithm},
   * {@code x-amz-credential}, {@code x-amz-date}, {@code x-amz-signature}: the hex HMAC of the
   * base64 policy under the signing key of the credential's date and region) or SigV2 ({@code
   * AWSAccessKeyId}, {@code signature}: the base64 HMAC-SHA1 of the policy under the secret). The
   * policy's own expiration, not the signing time, bounds how long the form serves.
   *
   * @param fields the form's fields by lower-case name
   */
  public Authentication postPolicy(Map<String, String> fields, String policy) throws S3Exception {
    String algorithm = fields.get("x-amz-algorithm");
    if (algorithm != null) {
      if (!SigV4Signer.ALGORITHM.equals(algorithm.strip())) {
        throw new S3Exception(S3Error.InvalidArgument, "x-amz-algorithm must be " + SigV4Signer.ALGORITHM);
      }
      String credential = fields.get("x-amz-credential"), amzDate = fields.get("x-amz-date"), signature = fields.get("x-amz-signature");
      if (credential == null || amzDate == null || signature == null) {
        throw new S3Exception(S3Error.InvalidArgument,
            "a form signed with SigV4 needs the fields x-amz-credential, x-amz-date and x-amz-signature");
      }
      parseAmzDate(amzDate.strip(), S3Error.InvalidArgument);
      String[] scope = credentialScope(credential.strip(), amzDate.strip(), false, S3Error.InvalidArgument);
      String accessKey = scope[0], date = scope[1], credRegion = scope[2];
      String secret = secretOf(accessKey);
      byte[] key = keyCache.signingKey(accessKey, secret, date, credRegion);
      if (!SigV4Signer.signaturesEqual(SigV4Signer.signature(key, policy), signature.strip())) {
        throw S3Exception.signatureMismatch(accessKey);
      }
      return new Authentication(accessKey, key, amzDate.strip(), SigV4Signer.scope(date, credRegion), signature.strip(),
          "UNSIGNED-PAYLOAD", false);
    }
    String accessKey = fields.get("awsaccesskeyid"), signature = fields.get("signature");
    if (accessKey == null || signature == null) {
      throw new S3Exception(S3Error.InvalidArgument,
          "a form with a policy is signed: it needs x-amz-algorithm, x-amz-credential, x-amz-date and x-amz-signature"
              + " (SigV4), or AWSAccessKeyId and signature (SigV2)");
    }
    String secret = secretOf(accessKey.strip());
    if (!SigV4Signer.signaturesEqual(SigV2Signer.signature(secret, policy), signature.strip())) {
      throw S3Exception.signatureMismatch(accessKey.strip());
    }
    return new Authentication(accessKey.strip(), null, null, null, signature.strip(), "UNSIGNED-PAYLOAD", false);
  }

  /** The secret of {@code accessKey}; InvalidAccessKeyId if there is no such key. */
  private String secretOf(String accessKey) throws S3Exception {
    return secrets.apply(accessKey).filter(s -> !s.isEmpty()).orElseThrow(() ->
        new S3Exception(S3Error.InvalidAccessKeyId, "the access key id '" + accessKey + "' does not exist"));
  }

  /**
   * The access key, date and region of a SigV4 credential ({@code <access-key>/<date>/<region>/s3/aws4_request}),
   * checked against this gateway's region and the request's {@code amzDate}; {@code malformed} names what is wrong.
   */
  private String[] credentialScope(String credential, String amzDate, boolean presigned, S3Error malformed) throws S3Exception {
    String[] scopeParts = credential.split("/", -1);
    if (scopeParts.length != 5 || scopeParts[0].isEmpty()) {
      throw new S3Exception(malformed, "credential must be <access-key>/<date>/<region>/s3/aws4_request");
    }
    String date = scopeParts[1], credRegion = scopeParts[2];
    if (!scopeParts[3].equals(SigV4Signer.SERVICE) || !scopeParts[4].equals(SigV4Signer.TERMINATOR)) {
      throw new S3Exception(malformed, "credential scope must end with /s3/aws4_request");
    }
    if (!credRegion.equals(region)) {
      throw S3Exception.wrongRegion(presigned, credRegion, region);
    }
    if (!amzDate.startsWith(date) || date.length() != 8) {
      throw new S3Exception(malformed, "credential date " + date + " does not match the request date " + amzDate);
    }
    return scopeParts;
  }

  private void checkSkew(Instant signedAt, long nowMillis) throws S3Exception {
    if (Math.abs(signedAt.toEpochMilli() - nowMillis) > maxSkewMillis) {
      throw new S3Exception(S3Error.RequestTimeTooSkewed,
          "the difference between the request time and the server's time is too large");
    }
  }

  /** Parses {@code yyyyMMdd'T'HHmmss'Z'} by hand: every signed request has one, and a formatter costs more than the check. */
  static Instant parseAmzDate(String amzDate, S3Error error) throws S3Exception {
    if (amzDate == null) throw new S3Exception(error, "the request has no x-amz-date or Date");
    if (amzDate.length() != 16 || amzDate.charAt(8) != 'T' || amzDate.charAt(15) != 'Z') {
      throw badDate(amzDate, error);
    }
    try {
      return java.time.LocalDateTime.of(digits(amzDate, 0, 4), digits(amzDate, 4, 6), digits(amzDate, 6, 8),
          digits(amzDate, 9, 11), digits(amzDate, 11, 13), digits(amzDate, 13, 15)).toInstant(java.time.ZoneOffset.UTC);
    } catch (java.time.DateTimeException | NumberFormatException e) {
      throw badDate(amzDate, error);
    }
  }

  /** The decimal number in {@code s[from, to)}, ASCII digits only. */
  private static int digits(String s, int from, int to) {
    int n = 0;
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') throw new NumberFormatException("not a digit: " + c);
      n = n * 10 + (c - '0');
    }
    return n;
  }

  private static S3Exception badDate(String amzDate, S3Error error) {
    return new S3Exception(error, "bad date '" + amzDate + "': expected yyyyMMdd'T'HHmmss'Z'");
  }

  private static String fromHttpDate(String httpDate) throws S3Exception {
    if (httpDate == null) return null;
    try {
      return AMZ_DATE.format(ZonedDateTime.parse(httpDate, DateTimeFormatter.RFC_1123_DATE_TIME));
    } catch (DateTimeParseException e) {
      throw new S3Exception(S3Error.AccessDenied, "bad Date header '" + httpDate + "'");
    }
  }
}
