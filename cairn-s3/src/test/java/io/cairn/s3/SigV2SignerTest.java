package io.cairn.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** SigV2: the documented example, header and presigned verification, tampering and expiry. */
class SigV2SignerTest {
  static final String ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE";
  static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  static final String EXAMPLE_DATE = "Tue, 27 Mar 2007 19:36:42 +0000";
  static final long EXAMPLE_TIME = Instant.parse("2007-03-27T19:36:42Z").toEpochMilli();

  private final RequestAuthenticator authenticator = new RequestAuthenticator("us-east-1", 15 * 60 * 1000L,
      k -> k.equals(ACCESS_KEY) ? Optional.of(SECRET) : Optional.empty(), new SigningKeyCache(16));

  @Test
  void signsTheDocumentedGetObjectExample() {
    String stringToSign = SigV2Signer.stringToSign("GET", Map.of("date", EXAMPLE_DATE), EXAMPLE_DATE,
        SigV2Signer.canonicalResource("/johnsmith/photos/puppy.jpg", java.util.List.of()));
    assertThat(stringToSign).isEqualTo("GET\n\n\n" + EXAMPLE_DATE + "\n/johnsmith/photos/puppy.jpg");
    assertThat(SigV2Signer.signature(SECRET, stringToSign)).isEqualTo("bWq2s1WEIj+Ydj0vQ697zp+IXMU=");
  }

  @Test
  void canonicalResourceKeepsOnlySubresourcesSortedWithDecodedValues() throws Exception {
    QueryParameters q = QueryParameters.parse("uploadId=a%2Bb&prefix=x&partNumber=2&response-content-type=text%2Fplain");
    assertThat(SigV2Signer.canonicalResource("/b/k%20y", q.all()))
        .isEqualTo("/b/k%20y?partNumber=2&response-content-type=text/plain&uploadId=a+b");
    assertThat(SigV2Signer.canonicalResource("/b", QueryParameters.parse("uploads&delimiter=%2F").all()))
        .isEqualTo("/b?uploads");
  }

  @Test
  void authenticatorAcceptsAHeaderSignedRequestAndRejectsATamperedOne() throws Exception {
    Map<String, String> headers = new HashMap<>(Map.of("date", EXAMPLE_DATE, "content-type", "text/plain",
        "x-amz-meta-b", "2", "x-amz-meta-a", " 1 "));
    String resource = "/bucket/a%20key";
    String signature = SigV2Signer.signature(SECRET, SigV2Signer.stringToSign("PUT", headers, EXAMPLE_DATE, resource));
    assertThat(SigV2Signer.stringToSign("PUT", headers, EXAMPLE_DATE, resource))
        .isEqualTo("PUT\n\ntext/plain\n" + EXAMPLE_DATE + "\nx-amz-meta-a:1\nx-amz-meta-b:2\n" + resource);
    headers.put("authorization", "AWS " + ACCESS_KEY + ":" + signature);
    Authentication auth = authenticator.authenticate("PUT", resource, QueryParameters.parse(""), headers, EXAMPLE_TIME);
    assertThat(auth.accessKey()).isEqualTo(ACCESS_KEY);
    assertThat(auth.payloadHash()).isEqualTo("UNSIGNED-PAYLOAD");

    Map<String, String> tampered = new HashMap<>(headers);
    tampered.put("x-amz-meta-a", "changed");
    assertThatThrownBy(() -> authenticator.authenticate("PUT", resource, QueryParameters.parse(""), tampered, EXAMPLE_TIME))
        .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.error()).isEqualTo(S3Error.SignatureDoesNotMatch));
    assertThatThrownBy(() -> authenticator.authenticate("PUT", resource, QueryParameters.parse(""), headers,
        EXAMPLE_TIME + 3_600_000))
        .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.error()).isEqualTo(S3Error.RequestTimeTooSkewed));
    Map<String, String> unknown = new HashMap<>(headers);
    unknown.put("authorization", "AWS NOSUCHKEY:" + signature);
    assertThatThrownBy(() -> authenticator.authenticate("PUT", resource, QueryParameters.parse(""), unknown, EXAMPLE_TIME))
        .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.error()).isEqualTo(S3Error.InvalidAccessKeyId));
  }

  @Test
  void aBucketsResourceIsTakenSignedWithOrWithoutTheSlashAfterIt() throws Exception {
    for (String signedResource : new String[] {"/bucket", "/bucket/"}) {
      Map<String, String> headers = new HashMap<>(Map.of("date", EXAMPLE_DATE));
      String signature = SigV2Signer.signature(SECRET, SigV2Signer.stringToSign("PUT", headers, EXAMPLE_DATE, signedResource));
      headers.put("authorization", "AWS " + ACCESS_KEY + ":" + signature);
      // botocore signs a bucket's creation as /bucket/ and sends PUT /bucket.
      assertThat(authenticator.authenticate("PUT", "/bucket", QueryParameters.parse(""), headers, EXAMPLE_TIME).accessKey())
          .as(signedResource).isEqualTo(ACCESS_KEY);
      assertThatThrownBy(() -> authenticator.authenticate("PUT", "/other", QueryParameters.parse(""), headers, EXAMPLE_TIME))
          .as("another bucket").isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.error()).isEqualTo(S3Error.SignatureDoesNotMatch));
    }
  }

  @Test
  void virtualHostRequestsSignTheBucketInFrontOfThePath() throws Exception {
    Map<String, String> headers = new HashMap<>(Map.of("date", EXAMPLE_DATE));
    String signature = SigV2Signer.signature(SECRET,
        SigV2Signer.stringToSign("GET", headers, EXAMPLE_DATE, "/johnsmith/photos/puppy.jpg"));
    headers.put("authorization", "AWS " + ACCESS_KEY + ":" + signature);
    assertThat(authenticator.authenticate("GET", "/photos/puppy.jpg", QueryParameters.parse(""), headers,
        EXAMPLE_TIME, "johnsmith").accessKey()).isEqualTo(ACCESS_KEY);
  }

  @Test
  void presignedUrlIsAcceptedUntilItExpires() throws Exception {
    long expires = EXAMPLE_TIME / 1000 + 300;
    String resource = "/bucket/uni-%C3%A9";
    String signature = SigV2Signer.signature(SECRET,
        SigV2Signer.stringToSign("GET", Map.of(), Long.toString(expires), resource));
    String query = "AWSAccessKeyId=" + ACCESS_KEY + "&Expires=" + expires + "&Signature="
        + SigV4Signer.uriEncode(signature, false);
    Authentication auth = authenticator.authenticate("GET", resource, QueryParameters.parse(query), Map.of(),
        EXAMPLE_TIME);
    assertThat(auth.presigned()).isTrue();
    assertThatThrownBy(() -> authenticator.authenticate("GET", resource, QueryParameters.parse(query), Map.of(),
        (expires + 1) * 1000))
        .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.error()).isEqualTo(S3Error.AccessDenied));
    assertThatThrownBy(() -> authenticator.authenticate("GET", "/bucket/other", QueryParameters.parse(query), Map.of(),
        EXAMPLE_TIME))
        .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.error()).isEqualTo(S3Error.SignatureDoesNotMatch));
  }
}
