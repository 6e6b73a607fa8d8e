package io.cairn.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/** aws-chunked decoding: the signed example of the S3 API reference, unsigned and signed trailers, corruption. */
class AwsChunkedInputStreamTest {
  static final String DATE = "20130524T000000Z";
  static final String SCOPE = "20130524/us-east-1/s3/aws4_request";

  /** The "PUT Object in chunks" example: 66560 bytes of 'a' in chunks of 65536 and 1024 bytes. */
  @Test
  void decodesAndVerifiesThePublishedSignedExample() throws Exception {
    Map<String, String> headers = Map.of(
        "content-encoding", "aws-chunked",
        "content-length", "66824",
        "host", "s3.amazonaws.com",
        "x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "x-amz-date", DATE,
        "x-amz-decoded-content-length", "66560",
        "x-amz-storage-class", "REDUCED_REDUNDANCY");
    String canonical = SigV4Signer.canonicalRequest("PUT", "/examplebucket/chunkObject.txt", "",
        List.of("content-encoding", "content-length", "host", "x-amz-content-sha256", "x-amz-date",
            "x-amz-decoded-content-length", "x-amz-storage-class"), headers, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
    byte[] key = SigV4Signer.signingKey(SigV4SignerTest.SECRET, "20130524", "us-east-1");
    String seed = SigV4Signer.signature(key, SigV4Signer.stringToSign(DATE, SCOPE, canonical));
    assertThat(seed).isEqualTo("4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");

    ByteArrayOutputStream body = new ByteArrayOutputStream();
    chunk(body, fill(65536), "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648");
    chunk(body, fill(1024), "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497");
    chunk(body, new byte[0], "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9");
    body.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    assertThat(body.size()).isEqualTo(66824);

    var signing = new AwsChunkedInputStream.ChunkSigning(key, DATE, SCOPE, seed);
    byte[] decoded = new AwsChunkedInputStream(new ByteArrayInputStream(body.toByteArray()), signing, false, null, 66560)
        .readAllBytes();
    assertThat(decoded).isEqualTo(fill(66560));

    byte[] corrupted = body.toByteArray();
    corrupted[200] = 'b';
    assertThat(failure(new AwsChunkedInputStream(new ByteArrayInputStream(corrupted), signing, false, null, 66560)))
        .isEqualTo(S3Error.SignatureDoesNotMatch);
  }

  @Test
  void signedTrailerIsVerified() throws Exception {
    byte[] key = SigV4Signer.signingKey(SigV4SignerTest.SECRET, "20130524", "us-east-1");
    String seed = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
    byte[] data = fill(3000);
    String crc = crc32Base64(data);
    byte[] body = signedTrailerBody(key, seed, data, "x-amz-checksum-crc32:" + crc, 1024);
    var signing = new AwsChunkedInputStream.ChunkSigning(key, DATE, SCOPE, seed);
    assertThat(new AwsChunkedInputStream(new ByteArrayInputStream(body), signing, true, BodyChecksum.CRC32, 3000)
        .readAllBytes()).isEqualTo(data);

    // A body whose trailer was re-signed over a wrong checksum: the signature holds, the checksum does not.
    byte[] wrongChecksum = signedTrailerBody(key, seed, data, "x-amz-checksum-crc32:AAAAAA==", 1024);
    assertThat(failure(new AwsChunkedInputStream(new ByteArrayInputStream(wrongChecksum), signing, true,
        BodyChecksum.CRC32, 3000))).isEqualTo(S3Error.BadDigest);

    // A trailer changed in flight: the trailer signature no longer matches.
    String text = new String(body, StandardCharsets.ISO_8859_1).replace(crc, "AAAAAA==");
    assertThat(failure(new AwsChunkedInputStream(new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1)),
        signing, true, BodyChecksum.CRC32, 3000))).isEqualTo(S3Error.SignatureDoesNotMatch);
  }

  @Test
  void unsignedTrailerChecksumIsVerifiedOverRandomChunkings() throws Exception {
    long seed = Long.getLong("cairn.test.seed", System.nanoTime());
    System.out.println("AwsChunkedInputStreamTest seed=" + seed
        + " (reproduce: ./mvnw -o -pl cairn-s3 test -Dtest=AwsChunkedInputStreamTest -Dcairn.test.seed=" + seed + ")");
    Random random = new Random(seed);
    for (int round = 0; round < 50; round++) {
      byte[] data = new byte[random.nextInt(20_000)];
      random.nextBytes(data);
      int chunkSize = 1 + random.nextInt(5000);
      byte[] body = unsignedTrailerBody(data, "x-amz-checksum-crc32:" + crc32Base64(data), chunkSize);
      assertThat(new AwsChunkedInputStream(new ByteArrayInputStream(body), null, true, BodyChecksum.CRC32, data.length)
          .readAllBytes()).as("seed %d round %d", seed, round).isEqualTo(data);
      if (data.length > 0) {
        byte[] flipped = data.clone();
        flipped[random.nextInt(flipped.length)] ^= 1;
        byte[] bad = unsignedTrailerBody(flipped, "x-amz-checksum-crc32:" + crc32Base64(data), chunkSize);
        assertThat(failure(new AwsChunkedInputStream(new ByteArrayInputStream(bad), null, true, BodyChecksum.CRC32,
            data.length))).as("seed %d round %d", seed, round).isEqualTo(S3Error.BadDigest);
      }
    }
  }

  @Test
  void framingErrorsAreReported() {
    byte[] truncated = "10\r\nabc".getBytes(StandardCharsets.US_ASCII);
    assertThat(failure(new AwsChunkedInputStream(new ByteArrayInputStream(truncated), null, false, null, -1)))
        .isEqualTo(S3Error.IncompleteBody);
    byte[] garbage = "zz\r\n".getBytes(StandardCharsets.US_ASCII);
    assertThat(failure(new AwsChunkedInputStream(new ByteArrayInputStream(garbage), null, false, null, -1)))
        .isEqualTo(S3Error.IncompleteBody);
    byte[] wrongLength = "3\r\nabc\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    assertThat(failure(new AwsChunkedInputStream(new ByteArrayInputStream(wrongLength), null, false, null, 4)))
        .isEqualTo(S3Error.IncompleteBody);
    byte[] missingTrailer = "3\r\nabc\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    assertThat(failure(new AwsChunkedInputStream(new ByteArrayInputStream(missingTrailer), null, true,
        BodyChecksum.CRC32, 3))).isEqualTo(S3Error.IncompleteBody);
  }

  static byte[] unsignedTrailerBody(byte[] data, String trailer, int chunkSize) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int off = 0; off < data.length; off += chunkSize) {
      int n = Math.min(chunkSize, data.length - off);
      out.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(data, off, n);
      out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    out.writeBytes(("0\r\n" + trailer + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  static byte[] signedTrailerBody(byte[] key, String seed, byte[] data, String trailer, int chunkSize) {
    return signedTrailerBody(key, seed, data, trailer, chunkSize, DATE, SCOPE);
  }

  static byte[] signedTrailerBody(
      byte[] key, String seed, byte[] data, String trailer, int chunkSize, String amzDate, String scope) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    String previous = seed;
    for (int off = 0; ; off += chunkSize) {
      int n = Math.max(0, Math.min(chunkSize, data.length - off));
      byte[] chunk = Arrays.copyOfRange(data, Math.min(off, data.length), Math.min(off, data.length) + n);
      String sig = SigV4Signer.signature(key,
          SigV4Signer.chunkStringToSign(amzDate, scope, previous, SigV4Signer.sha256Hex(chunk)));
      out.writeBytes((Integer.toHexString(n) + ";chunk-signature=" + sig + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.writeBytes(chunk);
      if (n > 0) out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
      previous = sig;
      if (n == 0) break;
    }
    String trailerSig = SigV4Signer.signature(key, SigV4Signer.trailerStringToSign(amzDate, scope, previous, trailer + "\n"));
    out.writeBytes((trailer + "\r\nx-amz-trailer-signature:" + trailerSig + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  static String crc32Base64(byte[] data) {
    CRC32 crc = new CRC32();
    crc.update(data);
    long v = crc.getValue();
    return Base64.getEncoder().encodeToString(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
  }

  private static void chunk(ByteArrayOutputStream out, byte[] data, String signature) throws IOException {
    out.write((Integer.toHexString(data.length) + ";chunk-signature=" + signature + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(data);
    if (data.length > 0) out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
  }

  private static byte[] fill(int n) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) 'a');
    return b;
  }

  static S3Error failure(InputStream in) {
    try {
      in.readAllBytes();
      return null;
    } catch (S3BodyException e) {
      return e.error();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
