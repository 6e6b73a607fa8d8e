package io.cairn.s3;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Passes a body through while computing a checksum; at end of stream it compares the checksum with
 * the expected value and throws {@link S3BodyException} instead of reporting the end on a mismatch,
 * so a reader never sees a complete body that is wrong. It also checks the body length when known.
 */
public final class VerifyingInputStream extends CheckingInputStream {
  private final BodyChecksum.State state;
  private final byte[] expected;
  private final S3Error mismatchError;
  private final String mismatchMessage;
  private boolean verified;

  private VerifyingInputStream(
      InputStream in, BodyChecksum.State state, byte[] expected, S3Error mismatchError, String mismatchMessage) {
    super(in);
    this.state = state;
    this.expected = expected;
    this.mismatchError = mismatchError;
    this.mismatchMessage = mismatchMessage;
  }

  /** Verifies a hex SHA-256 (x-amz-content-sha256). */
  public static InputStream sha256Hex(InputStream in, String hex) throws S3Exception {
    byte[] expected;
    try {
      expected = HexFormat.of().parseHex(hex);
    } catch (IllegalArgumentException e) {
      expected = null;
    }
    if (expected == null || expected.length != 32) {
      throw new S3Exception(S3Error.InvalidArgument, "x-amz-content-sha256 must be 64 hex digits or a known mode");
    }
    return new VerifyingInputStream(in, BodyChecksum.SHA256.newState(), expected, S3Error.XAmzContentSHA256Mismatch,
        "the provided x-amz-content-sha256 does not match what was computed");
  }

  /** Verifies a base64 checksum header (Content-MD5 or x-amz-checksum-*). */
  public static InputStream base64(InputStream in, BodyChecksum checksum, String base64Value) throws S3Exception {
    byte[] expected;
    try {
      expected = Base64.getDecoder().decode(base64Value.strip());
    } catch (IllegalArgumentException e) {
      expected = null;
    }
    int length = checksum.newState().finish().length;
    if (expected == null || expected.length != length) {
      // S3 answers a Content-MD5 that is no MD5 with InvalidDigest, and such a checksum with BadDigest.
      throw new S3Exception(checksum == BodyChecksum.MD5 ? S3Error.InvalidDigest : S3Error.BadDigest,
          "the " + checksum.headerName() + " value is not a valid base64 " + checksum + " checksum");
    }
    return new VerifyingInputStream(in, checksum.newState(), expected, S3Error.BadDigest,
        "the " + checksum + " you specified did not match the calculated checksum");
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = in.read(b, off, len);
    if (n > 0) {
      state.update(b, off, n);
    } else if (n < 0 && !verified) {
      if (!MessageDigest.isEqual(state.finish(), expected)) throw new S3BodyException(mismatchError, mismatchMessage);
      verified = true;
    }
    return n;
  }
}
