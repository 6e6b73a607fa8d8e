package io.cairn.s3;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Decodes an aws-chunked request body ({@code STREAMING-*} payload modes) into the object bytes,
 * verifying as it goes: each chunk signature when the body is signed, the trailing checksum and
 * trailer signature when trailers are declared, and the decoded length. Any failure is thrown as
 * {@link S3BodyException} before end-of-stream is reported. Nothing is buffered beyond one header line.
 */
public final class AwsChunkedInputStream extends BlockInputStream {
  /** Longest chunk header or trailer line accepted. */
  public static final int LINE_BYTES_MAX = 4096;
  /** Largest chunk size accepted. */
  public static final long CHUNK_BYTES_MAX = 1L << 30;
  /** Most trailing headers accepted. */
  public static final int TRAILERS_MAX = 16;

  /** How chunk signatures are checked; absent for unsigned streaming bodies. */
  public record ChunkSigning(byte[] signingKey, String amzDate, String scope, String seedSignature) {}

  /** Bytes read ahead of the chunk headers; chunk data of this size or more is read past the buffer. */
  private static final int HEADER_BUFFER_BYTES = 8192;

  private final InputStream in;
  private final ChunkSigning signing;
  private final boolean trailersExpected;
  private final BodyChecksum trailerChecksum;
  private final BodyChecksum.State checksumState;
  private final long decodedLength;
  private final MessageDigest chunkDigest;
  private String previousSignature;
  private String chunkSignature;
  private long chunkRemaining;
  private long decodedCount;
  private boolean inChunk;
  private boolean finished;

  /**
   * @param signing chunk signing parameters, or null when chunks are not signed
   * @param trailersExpected whether trailing headers follow the final chunk
   * @param trailerChecksum the checksum named in x-amz-trailer, or null
   * @param decodedLength x-amz-decoded-content-length, or -1 if not declared
   */
  public AwsChunkedInputStream(
      InputStream in, ChunkSigning signing, boolean trailersExpected, BodyChecksum trailerChecksum, long decodedLength) {
    // Chunk headers are read a byte at a time: a buffer keeps that off the layers below.
    this.in = in instanceof java.io.BufferedInputStream ? in : new java.io.BufferedInputStream(in, HEADER_BUFFER_BYTES);
    this.signing = signing;
    this.trailersExpected = trailersExpected;
    this.trailerChecksum = trailerChecksum;
    this.checksumState = trailerChecksum == null ? null : trailerChecksum.newState();
    this.decodedLength = decodedLength;
    this.chunkDigest = signing == null ? null : SigV4Signer.newSha256();
    this.previousSignature = signing == null ? null : signing.seedSignature();
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) return 0;
    while (!inChunk) {
      if (finished) return -1;
      startChunk();
    }
    int n = in.read(b, off, (int) Math.min(len, chunkRemaining));
    if (n < 0) throw new S3BodyException(S3Error.IncompleteBody, "the body ended inside a chunk");
    if (chunkDigest != null) chunkDigest.update(b, off, n);
    if (checksumState != null) checksumState.update(b, off, n);
    chunkRemaining -= n;
    decodedCount += n;
    if (decodedLength >= 0 && decodedCount > decodedLength) {
      throw new S3BodyException(S3Error.IncompleteBody, "the body is longer than x-amz-decoded-content-length");
    }
    if (chunkRemaining == 0) endChunk();
    return n;
  }

  private void startChunk() throws IOException {
    String header = readLine();
    int semi = header.indexOf(';');
    String sizeHex = (semi < 0 ? header : header.substring(0, semi)).strip();
    long size;
    try {
      size = Long.parseLong(sizeHex, 16);
    } catch (NumberFormatException e) {
      throw new S3BodyException(S3Error.IncompleteBody, "bad aws-chunked chunk header");
    }
    if (size < 0 || size > CHUNK_BYTES_MAX) throw new S3BodyException(S3Error.IncompleteBody, "chunk size out of range");
    chunkSignature = null;
    if (semi >= 0) {
      for (String ext : header.substring(semi + 1).split(";")) {
        String e = ext.strip();
        if (e.startsWith("chunk-signature=")) chunkSignature = e.substring("chunk-signature=".length());
      }
    }
    if (signing != null && chunkSignature == null) {
      throw new S3BodyException(S3Error.SignatureDoesNotMatch, "a chunk of a signed streaming body has no chunk-signature");
    }
    if (size > 0) {
      chunkRemaining = size;
      inChunk = true;
      return;
    }
    verifyChunkSignature();
    finishBody();
  }

  private void endChunk() throws IOException {
    inChunk = false;
    String rest = readLine();
    if (!rest.isEmpty()) throw new S3BodyException(S3Error.IncompleteBody, "chunk data longer than its declared size");
    verifyChunkSignature();
  }

  private void verifyChunkSignature() throws S3BodyException {
    if (signing == null) return;
    String chunkHash = HexFormat.of().formatHex(chunkDigest.digest());
    String expected = SigV4Signer.signature(signing.signingKey(),
        SigV4Signer.chunkStringToSign(signing.amzDate(), signing.scope(), previousSignature, chunkHash));
    if (!SigV4Signer.signaturesEqual(expected, chunkSignature)) {
      throw new S3BodyException(S3Error.SignatureDoesNotMatch, "a chunk signature does not match");
    }
    previousSignature = chunkSignature;
  }

  private void finishBody() throws IOException {
    Map<String, String> trailers = new TreeMap<>();
    String trailerSignature = null;
    while (true) {
      String line = readLine();
      if (line.isEmpty()) break;
      if (!trailersExpected) throw new S3BodyException(S3Error.IncompleteBody, "unexpected data after the final chunk");
      int colon = line.indexOf(':');
      if (colon <= 0) throw new S3BodyException(S3Error.IncompleteBody, "malformed trailing header");
      String name = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
      String value = line.substring(colon + 1).strip();
      if (name.equals("x-amz-trailer-signature")) {
        trailerSignature = value;
      } else {
        if (trailers.size() == TRAILERS_MAX) throw new S3BodyException(S3Error.IncompleteBody, "too many trailing headers");
        trailers.put(name, value);
      }
    }
    if (signing != null && trailersExpected) {
      if (trailerSignature == null) {
        throw new S3BodyException(S3Error.SignatureDoesNotMatch, "the signed trailer has no x-amz-trailer-signature");
      }
      StringBuilder canonical = new StringBuilder();
      for (var e : trailers.entrySet()) canonical.append(e.getKey()).append(':').append(e.getValue()).append('\n');
      String expected = SigV4Signer.signature(signing.signingKey(),
          SigV4Signer.trailerStringToSign(signing.amzDate(), signing.scope(), previousSignature, canonical.toString()));
      if (!SigV4Signer.signaturesEqual(expected, trailerSignature)) {
        throw new S3BodyException(S3Error.SignatureDoesNotMatch, "the trailer signature does not match");
      }
    }
    if (trailerChecksum != null) {
      String sent = trailers.get(trailerChecksum.headerName());
      if (sent == null) {
        throw new S3BodyException(S3Error.IncompleteBody, "the declared trailer " + trailerChecksum.headerName() + " was not sent");
      }
      byte[] expected;
      try {
        expected = Base64.getDecoder().decode(sent);
      } catch (IllegalArgumentException e) {
        throw new S3BodyException(S3Error.InvalidRequest, "the " + trailerChecksum.headerName() + " trailer is not base64");
      }
      if (!MessageDigest.isEqual(expected, checksumState.finish())) {
        throw new S3BodyException(S3Error.BadDigest,
            "the " + trailerChecksum + " you specified did not match the calculated checksum");
      }
    }
    if (decodedLength >= 0 && decodedCount != decodedLength) {
      throw new S3BodyException(S3Error.IncompleteBody,
          "decoded " + decodedCount + " bytes but x-amz-decoded-content-length is " + decodedLength);
    }
    finished = true;
  }

  /** Reads one CRLF-terminated line (without the CRLF), bounded by {@link #LINE_BYTES_MAX}. */
  private String readLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(96);
    while (true) {
      int c = in.read();
      if (c < 0) throw new S3BodyException(S3Error.IncompleteBody, "the aws-chunked body ended early");
      if (c == '\r') {
        int lf = in.read();
        if (lf != '\n') throw new S3BodyException(S3Error.IncompleteBody, "bad line ending in aws-chunked body");
        return line.toString(StandardCharsets.US_ASCII);
      }
      if (c == '\n') return line.toString(StandardCharsets.US_ASCII);
      if (line.size() == LINE_BYTES_MAX) throw new S3BodyException(S3Error.IncompleteBody, "aws-chunked line too long");
      line.write(c);
    }
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
