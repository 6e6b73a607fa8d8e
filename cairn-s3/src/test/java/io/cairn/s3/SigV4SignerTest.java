package io.cairn.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** SigV4 against the example values published in the Amazon S3 API reference (SigV4 header and query auth). */
class SigV4SignerTest {
  static final String ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE";
  static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  static final long EXAMPLE_TIME = Instant.parse("2013-05-24T00:00:00Z").toEpochMilli();

  private final RequestAuthenticator authenticator = new RequestAuthenticator("us-east-1", 15 * 60 * 1000L,
      key -> key.equals(ACCESS_KEY) ? Optional.of(SECRET) : Optional.empty(), new SigningKeyCache(16));

  @Test
  void getObjectExampleCanonicalRequestAndSignature() throws Exception {
    Map<String, String> headers = Map.of(
        "host", "examplebucket.s3.amazonaws.com",
        "range", "bytes=0-9",
        "x-amz-content-sha256", SigV4Signer.EMPTY_SHA256,
        "x-amz-date", "20130524T000000Z");
    String canonical = SigV4Signer.canonicalRequest("GET", SigV4Signer.canonicalUri("/test.txt"), "",
        List.of("host", "range", "x-amz-content-sha256", "x-amz-date"), headers, SigV4Signer.EMPTY_SHA256);
    assertThat(canonical).isEqualTo("""
        GET
        /test.txt

        host:examplebucket.s3.amazonaws.com
        range:bytes=0-9
        x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
        x-amz-date:20130524T000000Z

        host;range;x-amz-content-sha256;x-amz-date
        e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855""");
    String stringToSign = SigV4Signer.stringToSign("20130524T000000Z", SigV4Signer.scope("20130524", "us-east-1"), canonical);
    assertThat(stringToSign).startsWith("""
        AWS4-HMAC-SHA256
        20130524T000000Z
        20130524/us-east-1/s3/aws4_request
        """);
    assertThat(SigV4Signer.signature(SigV4Signer.signingKey(SECRET, "20130524", "us-east-1"), stringToSign))
        .isEqualTo("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  }

  @Test
  void authenticatorAcceptsTheGetObjectExampleAndRejectsATamperedOne() throws Exception {
    Map<String, String> headers = Map.of(
        "host", "examplebucket.s3.amazonaws.com",
        "range", "bytes=0-9",
        "x-amz-content-sha256", SigV4Signer.EMPTY_SHA256,
        "x-amz-date", "20130524T000000Z",
        "authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    Authentication auth = authenticator.authenticate("GET", "/test.txt", QueryParameters.parse(""), headers, EXAMPLE_TIME);
    assertThat(auth.accessKey()).isEqualTo(ACCESS_KEY);
    assertThat(auth.payloadHash()).isEqualTo(SigV4Signer.EMPTY_SHA256);

    var tampered = new java.util.HashMap<>(headers);
    tampered.put("range", "bytes=0-10");
    assertThatThrownBy(() -> authenticator.authenticate("GET", "/test.txt", QueryParameters.parse(""), tampered, EXAMPLE_TIME))
        .isInstanceOf(S3Exception.class)
        .extracting(e -> ((S3Exception) e).error()).isEqualTo(S3Error.SignatureDoesNotMatch);
  }

  @Test
  void listObjectsExampleWithQueryParameters() throws Exception {
    Map<String, String> headers = Map.of(
        "host", "examplebucket.s3.amazonaws.com",
        "x-amz-content-sha256", SigV4Signer.EMPTY_SHA256,
        "x-amz-date", "20130524T000000Z",
        "authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            + "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
            + "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
    Authentication auth =
        authenticator.authenticate("GET", "/", QueryParameters.parse("max-keys=2&prefix=J"), headers, EXAMPLE_TIME);
    assertThat(auth.accessKey()).isEqualTo(ACCESS_KEY);
  }

  @Test
  void presignedUrlExample() throws Exception {
    String query = "X-Amz-Algorithm=AWS4-HMAC-SHA256"
        + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
    Map<String, String> headers = Map.of("host", "examplebucket.s3.amazonaws.com");
    Authentication auth = authenticator.authenticate("GET", "/test.txt", QueryParameters.parse(query), headers,
        EXAMPLE_TIME + 3600_000);
    assertThat(auth.presigned()).isTrue();
    assertThatThrownBy(() -> authenticator.authenticate("GET", "/test.txt", QueryParameters.parse(query), headers,
        EXAMPLE_TIME + 86_401_000L))
        .isInstanceOf(S3Exception.class).hasMessageContaining("expired");
  }

  @Test
  void skewedAndMalformedRequestsAreRejectedWithClearErrors() throws Exception {
    Map<String, String> headers = Map.of(
        "host", "examplebucket.s3.amazonaws.com",
        "x-amz-content-sha256", SigV4Signer.EMPTY_SHA256,
        "x-amz-date", "20130524T000000Z",
        "authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            + "SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=00");
    assertThat(errorOf(headers, EXAMPLE_TIME + 16 * 60 * 1000L)).isEqualTo(S3Error.RequestTimeTooSkewed);
    // No signature at all is an anonymous request: what it may do is for the bucket to say.
    assertThat(authenticator.authenticate("GET", "/", QueryParameters.parse(""), Map.of("host", "h"), EXAMPLE_TIME).anonymous())
        .isTrue();
    assertThat(errorOf(Map.of("host", "h", "authorization", ""), EXAMPLE_TIME)).isEqualTo(S3Error.AccessDenied);
    assertThat(errorOf(Map.of("host", "h", "authorization", "Basic dXNlcjpwYXNz"), EXAMPLE_TIME))
        .isEqualTo(S3Error.AccessDenied);
    assertThat(errorOf(Map.of("host", "h", "x-amz-date", "20130524T000000Z",
        "authorization", "AWS4-HMAC-SHA256 garbage"), EXAMPLE_TIME)).isEqualTo(S3Error.AccessDenied);
    var otherRegion = new java.util.HashMap<>(headers);
    otherRegion.put("authorization", headers.get("authorization").replace("us-east-1", "eu-west-1"));
    assertThat(errorOf(otherRegion, EXAMPLE_TIME)).isEqualTo(S3Error.AuthorizationHeaderMalformed);
    var unknownKey = new java.util.HashMap<>(headers);
    unknownKey.put("authorization", headers.get("authorization").replace(ACCESS_KEY, "NOSUCHKEY"));
    assertThat(errorOf(unknownKey, EXAMPLE_TIME)).isEqualTo(S3Error.InvalidAccessKeyId);
  }

  @Test
  void uriEncodingFollowsTheAwsRules() throws Exception {
    assertThat(SigV4Signer.uriEncode("a b+c/d~e_f.g-h*", true)).isEqualTo("a%20b%2Bc/d~e_f.g-h%2A");
    assertThat(SigV4Signer.uriEncode("a/b", false)).isEqualTo("a%2Fb");
    assertThat(SigV4Signer.uriEncode("é", true)).isEqualTo("%C3%A9");
    // S3 does not double-encode: the canonical URI is the path decoded once and encoded once.
    assertThat(SigV4Signer.canonicalUri("/bucket/my%20file+x.txt")).isEqualTo("/bucket/my%20file%2Bx.txt");
    assertThat(SigV4Signer.canonicalUri("/bucket/a/%2Fb")).isEqualTo("/bucket/a//b");
    assertThat(SigV4Signer.canonicalUriKeepingEscapedSlashes("/bucket/a%2Fb//c")).isEqualTo("/bucket/a%2Fb//c");
    assertThat(SigV4Signer.canonicalQuery(QueryParameters.parse("uploads&b=2&a=1&a=0&X-Amz-Signature=zz").all()))
        .isEqualTo("a=0&a=1&b=2&uploads=");
  }

  @Test
  void signingKeysAreCachedWithinBounds() {
    SigningKeyCache cache = new SigningKeyCache(2);
    byte[] k1 = cache.signingKey("a", SECRET, "20130524", "us-east-1");
    assertThat(cache.signingKey("a", SECRET, "20130524", "us-east-1")).isSameAs(k1);
    cache.signingKey("b", SECRET, "20130524", "us-east-1");
    cache.signingKey("c", SECRET, "20130524", "us-east-1");
    assertThat(cache.size()).isLessThanOrEqualTo(2);
    assertThat(cache.signingKey("a", SECRET, "20130524", "us-east-1")).isEqualTo(k1);
  }

  private S3Error errorOf(Map<String, String> headers, long now) {
    try {
      authenticator.authenticate("GET", "/", QueryParameters.parse(""), headers, now);
      return null;
    } catch (S3Exception e) {
      return e.error();
    }
  }
}
