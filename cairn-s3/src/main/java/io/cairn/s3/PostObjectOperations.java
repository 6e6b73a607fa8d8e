package io.cairn.s3;

import io.cairn.core.access.RequestContext;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Browser-based uploads (POST Object): an HTML form posts a file to a bucket, with the object's key
 * and headers in its fields and, unless the bucket takes anonymous writes, a policy signed by a user
 * who may write there (SigV4 or SigV2). The policy's conditions bound what the form may set (see
 * {@link PostPolicy}); the file streams into the object as it arrives ({@link FormUpload}) and the
 * object exists only once all of it is stored.
 */
final class PostObjectOperations {
  /** Form fields that become the object's headers, as the same-named request headers would on a PUT. */
  private static final Set<String> HEADER_FIELDS = Set.of("content-type", "cache-control", "content-disposition",
      "content-encoding", "content-language", "expires", "x-amz-storage-class");

  /** Verifies a signed form's policy signature and returns who signed it (counting a failure where the gateway counts them). */
  @FunctionalInterface
  interface FormSigner {
    Authentication verify(Map<String, String> fields, String policy) throws S3Exception;
  }

  /** Admits the request of {@code auth} under the gateway's rate limits, or refuses it. */
  @FunctionalInterface
  interface RateCheck {
    void admit(Authentication auth) throws S3Exception;
  }

  private final ObjectBackend backend;
  private final AclOperations acls;
  private final long bodyBytesMax;

  PostObjectOperations(ObjectBackend backend, AclOperations acls, long bodyBytesMax) {
    this.backend = backend;
    this.acls = acls;
    this.bodyBytesMax = bodyBytesMax;
  }

  /** Whether {@code ex}, addressed to a bucket without a key, is a form upload. */
  static boolean isFormUpload(S3Exchange ex) {
    return ex.method().equals("POST") && FormUpload.isForm(ex.header("content-type")) && ex.query().all().isEmpty();
  }

  void post(S3Exchange ex, String bucket, FormSigner signer, RateCheck rate, Instant now, boolean sseS3Available)
      throws S3Exception, IOException {
    FormUpload form = FormUpload.open(ex.header("content-type"), ex.rawBody());
    if (!form.readFields()) {
      throw new S3Exception(S3Error.IncorrectNumberOfFilesInPostRequest,
          "POST requires exactly one file upload per request: a part named 'file', after every other field");
    }
    Map<String, String> fields = form.fields();
    String policyField = fields.get("policy");
    Authentication auth;
    PostPolicy policy = null;
    if (policyField != null && !policyField.isBlank()) {
      auth = signer.verify(fields, policyField.strip());
      policy = PostPolicy.parse(policyField);
    } else {
      for (String signed : new String[] {"awsaccesskeyid", "signature", "x-amz-signature", "x-amz-credential"}) {
        if (fields.containsKey(signed)) {
          throw new S3Exception(S3Error.InvalidArgument, "the form has a signature ('" + signed + "') but no policy: a signature signs the policy");
        }
      }
      auth = Authentication.ANONYMOUS; // only a bucket that takes anonymous writes lets it in
    }
    rate.admit(auth);
    String keyField = fields.get("key");
    if (keyField == null) {
      throw new S3Exception(S3Error.InvalidArgument,
          "Bucket POST must contain a field named 'key'; if it is there, it must come before the file");
    }
    String key = keyField.replace("${filename}", form.fileName());
    if (key.isEmpty()) {
      throw new S3Exception(S3Error.InvalidArgument, "the object's key ('key' field) is empty");
    }
    ObjectKeyRule.check(key);
    if (policy != null) {
      policy.check(fields, bucket, now, key);
    }
    Map<String, String> headers = headersOf(fields);
    S3RequestHandler.refuseServerSideEncryption(headers, false, sseS3Available);
    acls.refuseBlocked(headers, bucket, key, false);
    RequestContext ctx = PolicyContexts.ofForm(ex, auth, () -> backend.ownerName(auth.accessKey()), now, headers);
    backend.authorize(auth.accessKey(), bucket, key, S3Permission.WRITE, "s3:PutObject", ctx);
    // The file's checksum: checked as it arrives, and kept (as a PUT's) if the form gives it or names its algorithm.
    Map<String, String> checksumFields = new LinkedHashMap<>();
    fields.forEach((name, value) -> {
      if (name.startsWith("x-amz-checksum-")) checksumFields.put(name, value);
    });
    PutRequest req = ObjectOperations.withChecksum(ObjectHeaders.putRequest(headers, -1), checksumFields, false);

    long max = Math.min(ObjectOperations.PUT_BYTES_MAX, bodyBytesMax);
    long min = 0;
    Optional<PostPolicy.LengthRange> range = policy == null ? Optional.empty() : policy.lengthRange();
    if (range.isPresent()) {
      min = range.get().min();
      max = Math.min(max, range.get().max());
    }
    InputStream file = new LengthRangeInputStream(form.file(), min, max);
    for (BodyChecksum c : ObjectChecksum.ALGORITHMS) {
      String value = checksumFields.get(c.headerName());
      if (value != null) file = VerifyingInputStream.base64(file, c, value);
    }
    ObjectInfo info = backend.putObject(bucket, key, req, file);
    respond(ex, fields, bucket, key, info);
  }

  /** The request headers a form's fields stand for, by lower-case name: Content-Type and the like, x-amz-meta-*, the ACL, tags, SSE. */
  static Map<String, String> headersOf(Map<String, String> fields) throws S3Exception, IOException {
    Map<String, String> headers = new LinkedHashMap<>();
    for (Map.Entry<String, String> f : fields.entrySet()) {
      String name = f.getKey();
      if (HEADER_FIELDS.contains(name) || name.startsWith(ObjectHeaders.META_PREFIX) || name.startsWith("x-amz-server-side-encryption")
          || name.startsWith("x-amz-grant-")) {
        headers.put(name, f.getValue());
      }
    }
    String acl = fields.get("acl");
    if (acl != null) headers.put("x-amz-acl", acl);
    String tagging = fields.get("tagging");
    if (tagging != null && !tagging.isBlank()) {
      // The form's tags are a Tagging document, not the header's query string.
      var root = SafeXmlParser.parse(new java.io.ByteArrayInputStream(tagging.getBytes(StandardCharsets.UTF_8)), ObjectTagging.XML_BYTES_MAX);
      headers.put(ObjectTagging.HEADER, ObjectTagging.encode(ObjectTagging.fromXml(root, ObjectTagging.TAGS_MAX)));
    }
    return headers;
  }

  /**
   * As S3: to {@code success_action_redirect} (or {@code redirect}) with 303 and the bucket, key and
   * ETag in its query, if it is an absolute http(s) URL; else the {@code success_action_status} (200,
   * 201 with a PostResponse document, or 204, the default).
   */
  private static void respond(S3Exchange ex, Map<String, String> fields, String bucket, String key, ObjectInfo info) throws IOException {
    String etag = ObjectHeaders.quote(info.etag());
    String location = objectUrl(ex, bucket, key);
    ex.setHeader("ETag", etag);
    ex.setHeader("Location", location);
    ObjectHeaders.writeEncryption(ex, info.otherHeaders());
    String redirect = fields.getOrDefault("success_action_redirect", fields.get("redirect"));
    if (redirect != null && isHttpUrl(redirect.strip())) {
      String target = redirect.strip();
      target += (target.contains("?") ? "&" : "?") + "bucket=" + encode(bucket) + "&key=" + encode(key) + "&etag=" + encode(etag);
      ex.setHeader("Location", target);
      ex.sendEmpty(303);
      return;
    }
    String status = fields.getOrDefault("success_action_status", "204").strip();
    switch (status) {
      case "200" -> ex.sendEmpty(200);
      case "201" -> ex.sendXml(201, XmlWriter.document("PostResponse")
          .element("Location", location)
          .element("Bucket", bucket)
          .element("Key", key)
          .element("ETag", etag)
          .toBytes());
      default -> ex.sendEmpty(204);
    }
  }

  private static boolean isHttpUrl(String s) {
    try {
      URI u = new URI(s);
      String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
      return (scheme.equals("http") || scheme.equals("https")) && u.getHost() != null;
    } catch (URISyntaxException e) {
      return false;
    }
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** The object's URL as the client reached this gateway (path style). */
  private static String objectUrl(S3Exchange ex, String bucket, String key) {
    String host = ex.header("host");
    return (ex.secure() ? "https://" : "http://") + (host == null ? "localhost" : host) + "/" + SigV4Signer.uriEncode(bucket, false)
        + "/" + SigV4Signer.uriEncode(key, true);
  }

  /** Fails a file shorter than {@code min} at its end, and one longer than {@code max} as soon as it passes it. */
  static final class LengthRangeInputStream extends CheckingInputStream {
    private final long min;
    private final long max;
    private long count;

    LengthRangeInputStream(InputStream in, long min, long max) {
      super(in);
      this.min = min;
      this.max = max;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, (int) Math.min(len, Math.max(1, max - count + 1)));
      if (n > 0) {
        count += n;
        if (count > max) {
          throw new S3BodyException(S3Error.EntityTooLarge, "your proposed upload exceeds the maximum allowed size of " + max + " bytes");
        }
      } else if (n < 0 && count < min) {
        throw new S3BodyException(S3Error.EntityTooSmall, "your proposed upload is smaller than the minimum allowed size of " + min + " bytes");
      }
      return n;
    }
  }
}
