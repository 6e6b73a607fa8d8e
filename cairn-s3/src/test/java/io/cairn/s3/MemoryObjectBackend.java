package io.cairn.s3;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/** An in-memory {@link ObjectBackend} for gateway tests: one lock, objects as byte arrays, UTF-8 key order. */
final class MemoryObjectBackend implements ObjectBackend {
  static final long MIN_PART_BYTES = 5L * 1024 * 1024;
  private static final Comparator<String> UTF8_ORDER =
      (a, b) -> Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

  private record StoredObject(ObjectInfo info, byte[] data) {}

  private record Bucket(String owner, long createdMillis, String policy, TreeMap<String, StoredObject> objects) {}

  private record Part(PartInfo info, byte[] data) {}

  private record Upload(String bucket, String key, PutRequest req, long initiatedMillis, TreeMap<Integer, Part> parts) {}

  private final Map<String, String> users;
  private final TreeMap<String, Bucket> buckets = new TreeMap<>();
  private final java.util.Set<String> publicRead = new java.util.HashSet<>();
  private final Map<String, String> lifecycles = new java.util.HashMap<>();
  private final TreeMap<String, Upload> uploads = new TreeMap<>();
  private final AtomicLong clockMillis = new AtomicLong(1_700_000_000_000L);
  private final AtomicLong uploadCounter = new AtomicLong();
  /** Number of putObject / uploadPart calls that ended with an error. */
  final AtomicLong failedWrites = new AtomicLong();

  MemoryObjectBackend(Map<String, String> users) {
    this.users = Map.copyOf(users);
  }

  synchronized String policyOf(String bucket) {
    return buckets.get(bucket).policy();
  }

  /** The bytes stored for an object, as the backend holds them. */
  synchronized byte[] storedBytes(String bucket, String key) {
    return buckets.get(bucket).objects().get(key).data().clone();
  }

  synchronized boolean hasObject(String bucket, String key) {
    Bucket b = buckets.get(bucket);
    return b != null && b.objects().containsKey(key);
  }

  synchronized int objectCount(String bucket) {
    Bucket b = buckets.get(bucket);
    return b == null ? 0 : b.objects().size();
  }

  private long now() {
    return clockMillis.addAndGet(1000);
  }

  @Override
  public Optional<String> secretKey(String accessKey) {
    return Optional.ofNullable(users.get(accessKey));
  }

  /** Each access key is its own user: it owns the buckets it created; anyone reads a public-read bucket. */
  @Override
  public synchronized void authorize(String accessKeyOrNull, String bucket, String keyOrNull, S3Permission needed, String action,
      io.cairn.core.access.RequestContext ctx) throws S3Exception {
    Bucket b = buckets.get(bucket);
    if (b == null) throw new S3Exception(S3Error.NoSuchBucket, "the bucket " + bucket + " does not exist");
    boolean ok = b.owner().equals(accessKeyOrNull) || (needed == S3Permission.READ && publicRead.contains(bucket));
    if (!ok) throw new S3Exception(S3Error.AccessDenied, "access denied");
  }

  @Override
  public void authorizeAccount(String accessKeyOrNull, boolean write) throws S3Exception {
    if (accessKeyOrNull == null) throw new S3Exception(S3Error.AccessDenied, "anonymous requests may only read public buckets");
  }

  @Override
  public synchronized Optional<String> bucketLifecycle(String bucket) throws S3Exception {
    bucketAcl(bucket);
    return Optional.ofNullable(lifecycles.get(bucket));
  }

  @Override
  public synchronized void setBucketLifecycle(String bucket, String lifecycleJsonOrNull) throws S3Exception {
    bucketAcl(bucket);
    if (lifecycleJsonOrNull == null) lifecycles.remove(bucket);
    else lifecycles.put(bucket, lifecycleJsonOrNull);
  }

  @Override
  public synchronized BucketAcl bucketAcl(String bucket) throws S3Exception {
    Bucket b = buckets.get(bucket);
    if (b == null) throw new S3Exception(S3Error.NoSuchBucket, "the bucket " + bucket + " does not exist");
    return new BucketAcl(b.owner(), publicRead.contains(bucket));
  }

  @Override
  public synchronized void setPublicRead(String bucket, boolean on) throws S3Exception {
    bucketAcl(bucket);
    if (on) publicRead.add(bucket);
    else publicRead.remove(bucket);
  }

  @Override
  public String ownerName(String accessKey) {
    return accessKey;
  }

  @Override
  public synchronized List<BucketSummary> listBuckets(String owner) {
    List<BucketSummary> out = new ArrayList<>();
    buckets.forEach((name, b) -> {
      if (b.owner().equals(owner)) out.add(new BucketSummary(name, b.createdMillis()));
    });
    return out;
  }

  @Override
  public synchronized void createBucket(String bucket, String owner, String policyOrNull) throws S3Exception {
    Bucket existing = buckets.get(bucket);
    if (existing != null) {
      throw new S3Exception(existing.owner().equals(owner) ? S3Error.BucketAlreadyOwnedByYou : S3Error.BucketAlreadyExists,
          "bucket " + bucket + " exists");
    }
    if (policyOrNull != null && !policyOrNull.matches("rep[1-9]|ec[1-9]\\+[1-9]")) {
      throw new S3Exception(S3Error.InvalidArgument, "unknown storage policy " + policyOrNull);
    }
    buckets.put(bucket, new Bucket(owner, now(), policyOrNull, new TreeMap<>(UTF8_ORDER)));
  }

  @Override
  public synchronized BucketSummary headBucket(String bucket) throws S3Exception {
    Bucket b = bucket(bucket);
    return new BucketSummary(bucket, b.createdMillis());
  }

  @Override
  public synchronized void deleteBucket(String bucket) throws S3Exception {
    if (!bucket(bucket).objects().isEmpty()) throw new S3Exception(S3Error.BucketNotEmpty, "bucket is not empty");
    buckets.remove(bucket);
  }

  private Bucket bucket(String bucket) throws S3Exception {
    Bucket b = buckets.get(bucket);
    if (b == null) throw new S3Exception(S3Error.NoSuchBucket, "the specified bucket does not exist");
    return b;
  }

  @Override
  public ObjectInfo putObject(String bucket, String key, PutRequest req, InputStream body) throws S3Exception, IOException {
    synchronized (this) {
      bucket(bucket);
    }
    byte[] data;
    try {
      data = body.readAllBytes();
    } catch (IOException e) {
      failedWrites.incrementAndGet();
      throw e;
    }
    ObjectInfo info = new ObjectInfo(key, data.length, md5Hex(data), now(), req.contentType(), req.userMetadata(),
        req.otherHeaders());
    synchronized (this) {
      bucket(bucket).objects().put(key, new StoredObject(info, data));
    }
    return info;
  }

  @Override
  public synchronized void setObjectPublicRead(String bucket, String key, boolean publicRead) throws S3Exception {
    StoredObject o = object(bucket, key);
    java.util.Map<String, String> headers = new java.util.LinkedHashMap<>(o.info().otherHeaders());
    if (publicRead) headers.put(ObjectHeaders.ACL, ObjectHeaders.PUBLIC_READ);
    else headers.remove(ObjectHeaders.ACL);
    ObjectInfo i = o.info();
    bucket(bucket).objects().put(key, new StoredObject(new ObjectInfo(i.key(), i.size(), i.etag(), i.lastModifiedMillis(), i.contentType(),
        i.userMetadata(), headers), o.data()));
  }

  /** A key whose metadata lookup fails unexpectedly, to exercise the gateway's InternalError path. */
  static final String FAILING_KEY = "fail/unexpectedly";

  @Override
  public synchronized ObjectInfo headObject(String bucket, String key) throws S3Exception {
    if (key.equals(FAILING_KEY)) throw new IllegalStateException("simulated backend bug");
    return object(bucket, key).info();
  }

  private StoredObject object(String bucket, String key) throws S3Exception {
    StoredObject o = bucket(bucket).objects().get(key);
    if (o == null) throw new S3Exception(S3Error.NoSuchKey, "the specified key does not exist");
    return o;
  }

  @Override
  public synchronized ObjectHandle openObject(String bucket, String key) throws S3Exception {
    StoredObject o = object(bucket, key);
    return new ObjectHandle() {
      public ObjectInfo info() {
        return o.info();
      }

      public void writeTo(OutputStream out, long offset, long length) throws IOException {
        int chunk = 8192;
        for (long pos = offset; pos < offset + length; pos += chunk) {
          out.write(o.data(), (int) pos, (int) Math.min(chunk, offset + length - pos));
        }
      }
    };
  }

  @Override
  public synchronized void deleteObject(String bucket, String key) throws S3Exception {
    bucket(bucket).objects().remove(key);
  }

  @Override
  public synchronized List<ObjectInfo> listObjects(String bucket, String prefix, String startAfter, int limit)
      throws S3Exception {
    List<ObjectInfo> out = new ArrayList<>();
    var tail = startAfter.isEmpty() ? bucket(bucket).objects() : bucket(bucket).objects().tailMap(startAfter, false);
    for (var e : tail.entrySet()) {
      if (out.size() == limit) break;
      if (!e.getKey().startsWith(prefix)) {
        if (UTF8_ORDER.compare(e.getKey(), prefix) > 0) break;
        continue;
      }
      out.add(e.getValue().info());
    }
    return out;
  }

  @Override
  public synchronized String createMultipartUpload(String bucket, String key, PutRequest req) throws S3Exception {
    bucket(bucket);
    String id = "upload-" + uploadCounter.incrementAndGet();
    uploads.put(id, new Upload(bucket, key, req, now(), new TreeMap<>()));
    return id;
  }

  private Upload upload(String bucket, String key, String uploadId) throws S3Exception {
    Upload u = uploadId == null ? null : uploads.get(uploadId);
    if (u == null || !u.bucket().equals(bucket) || !u.key().equals(key)) {
      throw new S3Exception(S3Error.NoSuchUpload, "the specified upload does not exist");
    }
    return u;
  }

  @Override
  public PartInfo uploadPart(String bucket, String key, String uploadId, int partNumber, long contentLength,
      InputStream body) throws S3Exception, IOException {
    synchronized (this) {
      upload(bucket, key, uploadId);
    }
    byte[] data;
    try {
      data = body.readAllBytes();
    } catch (IOException e) {
      failedWrites.incrementAndGet();
      throw e;
    }
    PartInfo info = new PartInfo(partNumber, md5Hex(data), data.length, now());
    synchronized (this) {
      upload(bucket, key, uploadId).parts().put(partNumber, new Part(info, data));
    }
    return info;
  }

  @Override
  public synchronized ObjectInfo completeMultipartUpload(String bucket, String key, String uploadId,
      List<CompletedPart> parts) throws S3Exception {
    Upload u = upload(bucket, key, uploadId);
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    ByteArrayOutputStream md5s = new ByteArrayOutputStream();
    List<Long> sizes = new java.util.ArrayList<>();
    for (int i = 0; i < parts.size(); i++) {
      CompletedPart cp = parts.get(i);
      Part p = u.parts().get(cp.partNumber());
      if (p == null || !p.info().etag().equals(cp.etag())) {
        throw new S3Exception(S3Error.InvalidPart, "part " + cp.partNumber() + " was not found or its ETag differs");
      }
      if (i < parts.size() - 1 && p.data().length < MIN_PART_BYTES) {
        throw new S3Exception(S3Error.EntityTooSmall, "a part other than the last is smaller than 5 MiB");
      }
      all.writeBytes(p.data());
      sizes.add((long) p.data().length);
      md5s.writeBytes(HexFormat.of().parseHex(p.info().etag()));
    }
    String etag = md5Hex(md5s.toByteArray()) + "-" + parts.size();
    byte[] data = all.toByteArray();
    java.util.Map<String, String> headers = new java.util.LinkedHashMap<>(u.req().otherHeaders());
    headers.put(ObjectParts.HEADER, ObjectParts.encode(sizes));
    ObjectInfo info = new ObjectInfo(key, data.length, etag, now(), u.req().contentType(), u.req().userMetadata(), headers);
    bucket(bucket).objects().put(key, new StoredObject(info, data));
    uploads.remove(uploadId);
    return info;
  }

  @Override
  public synchronized void abortMultipartUpload(String bucket, String key, String uploadId) throws S3Exception {
    upload(bucket, key, uploadId);
    uploads.remove(uploadId);
  }

  @Override
  public synchronized List<PartInfo> listParts(String bucket, String key, String uploadId) throws S3Exception {
    return upload(bucket, key, uploadId).parts().values().stream().map(Part::info).toList();
  }

  @Override
  public synchronized List<UploadInfo> listMultipartUploads(String bucket, String prefix) throws S3Exception {
    bucket(bucket);
    List<UploadInfo> out = new ArrayList<>();
    uploads.forEach((id, u) -> {
      if (u.bucket().equals(bucket) && u.key().startsWith(prefix)) out.add(new UploadInfo(u.key(), id, u.initiatedMillis()));
    });
    out.sort(Comparator.comparing(UploadInfo::key, UTF8_ORDER).thenComparing(UploadInfo::initiatedMillis));
    return out;
  }

  static String md5Hex(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
