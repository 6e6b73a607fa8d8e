package io.cairn.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class BodyChecksumTest {
  private static final byte[] CHECK = "123456789".getBytes(StandardCharsets.US_ASCII);

  @Test
  void standardCheckValues() {
    assertThat(hex(BodyChecksum.CRC32)).isEqualTo("cbf43926");
    assertThat(hex(BodyChecksum.CRC32C)).isEqualTo("e3069283");
    assertThat(hex(BodyChecksum.CRC64NVME)).isEqualTo("ae8b14860a799888");
    assertThat(BodyChecksum.fromHeaderName("X-Amz-Checksum-CRC32C")).isEqualTo(BodyChecksum.CRC32C);
    assertThat(BodyChecksum.fromHeaderName("x-amz-checksum-md5")).isNull();
  }

  @Test
  void verifyingStreamFailsAtTheEndOnMismatchAndPassesOnMatch() throws Exception {
    String good = Base64.getEncoder().encodeToString(state(BodyChecksum.SHA256));
    assertThat(VerifyingInputStream.base64(new ByteArrayInputStream(CHECK), BodyChecksum.SHA256, good).readAllBytes())
        .isEqualTo(CHECK);
    String bad = Base64.getEncoder().encodeToString(new byte[32]);
    assertThat(AwsChunkedInputStreamTest.failure(
        VerifyingInputStream.base64(new ByteArrayInputStream(CHECK), BodyChecksum.SHA256, bad)))
        .isEqualTo(S3Error.BadDigest);
    assertThat(AwsChunkedInputStreamTest.failure(
        VerifyingInputStream.sha256Hex(new ByteArrayInputStream(CHECK), SigV4Signer.EMPTY_SHA256)))
        .isEqualTo(S3Error.XAmzContentSHA256Mismatch);
    assertThat(AwsChunkedInputStreamTest.failure(new LengthCheckingInputStream(new ByteArrayInputStream(CHECK), 10)))
        .isEqualTo(S3Error.IncompleteBody);
  }

  private static byte[] state(BodyChecksum c) {
    BodyChecksum.State s = c.newState();
    s.update(CHECK, 0, CHECK.length);
    return s.finish();
  }

  private static String hex(BodyChecksum c) {
    return HexFormat.of().formatHex(state(c));
  }
}
