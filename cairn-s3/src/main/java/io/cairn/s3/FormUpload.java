package io.cairn.s3;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.eclipse.jetty.http.MultiPart;
import org.eclipse.jetty.io.Content;

/**
 * The body of a browser-based upload (POST Object): {@code multipart/form-data} whose fields come
 * first and whose part named {@code file} carries the object. Jetty's multipart parser does the
 * parsing; this class pulls the body through it: {@link #readFields} reads the fields into memory
 * (at most {@link #FIELDS_BYTES_MAX} in all) up to the file, then {@link #file} streams the file's
 * bytes as they arrive, never holding them whole. Parts after the file are read and dropped, as
 * S3 ignores them. A body that is not well-formed fails with {@code MalformedPOSTRequest}.
 */
final class FormUpload implements MultiPart.Parser.Listener {
  /** What the fields before the file may take in all, as S3 allows. */
  static final int FIELDS_BYTES_MAX = 20 * 1024;
  /** Parts a form may have, the file and the parts after it included. */
  static final int PARTS_MAX = 1000;
  static final String FILE_FIELD = "file";

  private final InputStream body;
  private final MultiPart.Parser parser;
  private final byte[] buffer = new byte[64 * 1024];
  /** The fields before the file, by lower-case name. */
  private final Map<String, String> fields = new LinkedHashMap<>();
  /** Bytes of the file parsed and not read yet. */
  private final ArrayDeque<ByteBuffer> fileBytes = new ArrayDeque<>();
  private final ByteArrayOutputStream value = new ByteArrayOutputStream();
  private long fieldBytes;
  private String partName;
  private String partFileName;
  private String partContentType;
  private boolean inFile;
  private boolean fileSeen;
  private boolean fileEnded;
  private boolean complete;
  private boolean endOfBody;
  private String fileName;
  private String fileContentType;
  private S3Exception failure;

  private FormUpload(String boundary, InputStream body) {
    this.body = body;
    this.parser = new MultiPart.Parser(boundary, this);
    this.parser.setMaxParts(PARTS_MAX);
  }

  /** Whether a request of {@code contentType} is a form upload. */
  static boolean isForm(String contentType) {
    return contentType != null && contentType.strip().toLowerCase(Locale.ROOT).startsWith("multipart/form-data");
  }

  static FormUpload open(String contentType, InputStream body) throws S3Exception {
    String boundary = contentType == null ? null : MultiPart.extractBoundary(contentType);
    if (boundary == null || boundary.isEmpty()) {
      throw malformed("the Content-Type names no boundary");
    }
    return new FormUpload(boundary, body);
  }

  /** Reads the fields up to the file; false if the form has no file. */
  boolean readFields() throws S3Exception, IOException {
    while (!fileSeen && !complete) {
      feed();
    }
    return fileSeen;
  }

  /** The fields before the file, by lower-case name. */
  Map<String, String> fields() {
    return fields;
  }

  /** The file name the form gave its file part (its last path segment), or "" if none. */
  String fileName() {
    return fileName == null ? "" : fileName;
  }

  /** The Content-Type of the file part, or null. */
  String fileContentType() {
    return fileContentType;
  }

  /** The file's bytes, from the body as they arrive; after them the rest of the form is read and dropped. */
  InputStream file() {
    return new BlockInputStream() {

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        while (true) {
          ByteBuffer head = fileBytes.peekFirst();
          if (head != null) {
            int n = Math.min(len, head.remaining());
            head.get(b, off, n);
            if (!head.hasRemaining()) fileBytes.pollFirst();
            return n;
          }
          if (fileEnded) {
            finish();
            return -1;
          }
          try {
            feed();
          } catch (S3Exception e) {
            throw new S3BodyException(e.error(), e.getMessage());
          }
        }
      }
    };
  }

  /** Reads and drops what follows the file, to the form's closing boundary. */
  private void finish() throws IOException {
    try {
      while (!complete) feed();
    } catch (S3Exception e) {
      throw new S3BodyException(e.error(), e.getMessage());
    }
  }

  private void feed() throws S3Exception, IOException {
    if (failure != null) throw failure;
    if (endOfBody) {
      throw malformed("the body ended before the form's closing boundary");
    }
    int n = body.read(buffer);
    if (n < 0) {
      endOfBody = true;
      parser.parse(Content.Chunk.EOF);
      if (failure != null) throw failure;
      if (!complete) throw malformed("the body ended before the form's closing boundary");
      return;
    }
    parser.parse(Content.Chunk.from(ByteBuffer.wrap(buffer, 0, n), false));
    if (failure != null) throw failure;
  }

  private static S3Exception malformed(String why) {
    return new S3Exception(S3Error.MalformedPOSTRequest, "the body of the POST request is not well-formed multipart/form-data: " + why);
  }

  private void fail(S3Exception e) {
    if (failure == null) failure = e;
  }

  // ---- the parser's events ----

  @Override
  public void onPartBegin() {
    partName = null;
    partFileName = null;
    partContentType = null;
    value.reset();
  }

  @Override
  public void onPartHeader(String name, String headerValue) {
    String n = name.toLowerCase(Locale.ROOT);
    if (n.equals("content-disposition")) {
      Map<String, String> params = dispositionParameters(headerValue);
      partName = params.get("name");
      partFileName = params.get("filename");
    } else if (n.equals("content-type")) {
      partContentType = headerValue.strip();
    }
  }

  @Override
  public void onPartHeaders() {
    if (fileSeen) return; // past the file: dropped
    if (partName == null) {
      fail(malformed("a part has no name (Content-Disposition: form-data; name=...)"));
    } else if (partName.equalsIgnoreCase(FILE_FIELD)) {
      fileSeen = true;
      inFile = true;
      fileName = partFileName == null ? "" : partFileName.substring(Math.max(partFileName.lastIndexOf('/'), partFileName.lastIndexOf('\\')) + 1);
      fileContentType = partContentType;
    }
  }

  @Override
  public void onPartContent(Content.Chunk chunk) {
    ByteBuffer b = chunk.getByteBuffer();
    if (inFile) {
      if (b.hasRemaining()) {
        ByteBuffer copy = ByteBuffer.allocate(b.remaining());
        copy.put(b.duplicate()).flip();
        fileBytes.addLast(copy);
      }
    } else if (!fileSeen) {
      fieldBytes += b.remaining();
      if (fieldBytes > FIELDS_BYTES_MAX) {
        fail(new S3Exception(S3Error.MaxPostPreDataLengthExceededError,
            "the POST request's fields before the file take more than " + FIELDS_BYTES_MAX + " bytes"));
        return;
      }
      ByteBuffer d = b.duplicate();
      byte[] bytes = new byte[d.remaining()];
      d.get(bytes);
      value.writeBytes(bytes);
    }
  }

  @Override
  public void onPartEnd() {
    if (inFile) {
      inFile = false;
      fileEnded = true;
      return;
    }
    if (fileSeen || partName == null) return;
    String name = partName.toLowerCase(Locale.ROOT);
    if (fields.putIfAbsent(name, value.toString(StandardCharsets.UTF_8)) != null) {
      fail(new S3Exception(S3Error.InvalidArgument, "the form field '" + partName + "' appears more than once"));
    }
  }

  @Override
  public void onComplete() {
    complete = true;
  }

  @Override
  public void onFailure(Throwable t) {
    fail(malformed(t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage()));
  }

  /** The parameters of a Content-Disposition value ({@code form-data; name="key"; filename="a.txt"}), by lower-case name. */
  static Map<String, String> dispositionParameters(String header) {
    Map<String, String> params = new LinkedHashMap<>();
    int i = header.indexOf(';');
    while (i >= 0 && i < header.length()) {
      i++;
      while (i < header.length() && header.charAt(i) == ' ') i++;
      int eq = header.indexOf('=', i);
      if (eq < 0) break;
      String name = header.substring(i, eq).strip().toLowerCase(Locale.ROOT);
      i = eq + 1;
      StringBuilder v = new StringBuilder();
      if (i < header.length() && header.charAt(i) == '"') {
        i++;
        while (i < header.length() && header.charAt(i) != '"') {
          char c = header.charAt(i);
          // A backslash escapes a quote or a backslash; before anything else it stands for itself (a Windows path).
          if (c == '\\' && i + 1 < header.length() && (header.charAt(i + 1) == '"' || header.charAt(i + 1) == '\\')) {
            c = header.charAt(++i);
          }
          v.append(c);
          i++;
        }
        i = header.indexOf(';', i);
      } else {
        int end = header.indexOf(';', i);
        v.append(header, i, end < 0 ? header.length() : end);
        i = end;
      }
      params.putIfAbsent(name, v.toString().strip());
    }
    return params;
  }
}
