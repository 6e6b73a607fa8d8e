package io.cairn.s3;

import io.cairn.core.access.RequestContext;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Jetty handler of the S3 gateway: authenticates each request, finds bucket and key (path-style
 * or virtual-host style), dispatches to the S3 operation and turns failures into S3 error documents.
 * Requests under {@code /_cairn/} go to the admin handler. Runs blocking, on virtual threads.
 */
public final class S3RequestHandler extends Handler.Abstract {
  private static final Logger LOG = LoggerFactory.getLogger(S3RequestHandler.class);
  public static final String ADMIN_PREFIX = "/_cairn/";
  /** The one admin path served without a signature: a node answers it once it serves. */
  public static final String ADMIN_HEALTH = "/_cairn/health";
  /** A node joining with a token asks here for its certificate: the token is its credential, not a signature. */
  public static final String ADMIN_JOIN = "/_cairn/join";
  /** How much of a started request body a failed request still reads, so that its client gets the error. */
  static final long DRAIN_BYTES_MAX = 64L << 20;
  /** Metrics: signed by an admin key, or scraped with the node's metrics token ({@code Authorization: Bearer TOKEN}). */
  public static final String ADMIN_METRICS = "/_cairn/metrics";
  private static final Set<String> UNSUPPORTED_BUCKET_SUBRESOURCES = Set.of(
      "website", "notification",
      "replication", "encryption", "object-lock", "accelerate", "analytics",
      "inventory", "metrics", "intelligent-tiering");
  private static final Set<String> UNSUPPORTED_OBJECT_SUBRESOURCES = Set.of(
      "retention", "legal-hold", "torrent", "restore", "select", "versionId");

  private final S3GatewayConfig config;
  private final ObjectBackend backend;
  private final AdminHandler admin;
  private final Clock clock;
  private final RequestAuthenticator authenticator;
  /** Checks signatures of sources past their failure limit: unknown keys cost no map read. */
  private final RequestAuthenticator knownKeysOnly;
  private final BucketOperations buckets;
  private final ObjectOperations objects;
  private final ListOperations listings;
  private final MultipartOperations multipart;
  private final AclOperations acls;
  private final PostObjectOperations posts;
  private final LifecycleOperations lifecycles;
  private final CorsOperations cors;
  private final Semaphore permits;
  private final FailedSignatureLimiter failedSignatures;
  /** The same count per existing access key, over every source: a guess at one key's secret spread over many addresses. */
  private final FailedSignatureLimiter failedKeySignatures;
  /** Requests per second per user (unsigned ones per source address). */
  private final RequestRateLimiter userRequests;
  private final String requestIdPrefix;
  private final AtomicLong requestCounter = new AtomicLong();

  /**
   * @param requestIdPrefix distinguishes this gateway's request ids from other nodes'
   */
  public S3RequestHandler(
      S3GatewayConfig config, ObjectBackend backend, AdminHandler adminOrNull, Clock clock, String requestIdPrefix) {
    this.config = config;
    this.backend = backend;
    this.admin = adminOrNull;
    this.clock = clock;
    this.authenticator = new RequestAuthenticator(config.region(), config.maxSkewMillis(), backend::secretKey,
        new SigningKeyCache(1024));
    this.knownKeysOnly = new RequestAuthenticator(config.region(), config.maxSkewMillis(), backend::knownSecretKey,
        new SigningKeyCache(64));
    this.buckets = new BucketOperations(backend, config.region());
    this.objects = new ObjectOperations(backend, config.bodyBytesMax());
    this.listings = new ListOperations(backend);
    this.multipart = new MultipartOperations(backend, config.bodyBytesMax());
    this.acls = new AclOperations(backend);
    this.posts = new PostObjectOperations(backend, acls, config.bodyBytesMax());
    this.lifecycles = new LifecycleOperations(backend);
    this.cors = new CorsOperations(backend);
    this.permits = new Semaphore(config.concurrentRequestsMax());
    this.failedSignatures = new FailedSignatureLimiter(config.failedSignaturesPerMinute());
    this.failedKeySignatures = new FailedSignatureLimiter(config.failedSignaturesPerMinute());
    this.userRequests = new RequestRateLimiter(config.userRequestsPerSecond());
    this.requestIdPrefix = requestIdPrefix;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    String requestId = requestIdPrefix + HexFormat.of().toHexDigits(requestCounter.incrementAndGet());
    S3Exchange ex;
    try {
      ex = new S3Exchange(request, response, requestId, QueryParameters.parse(request.getHttpURI().getQuery()),
          config.minUploadBytesPerSecond());
    } catch (S3Exception e) {
      ex = new S3Exchange(request, response, requestId, emptyQuery(), config.minUploadBytesPerSecond());
      finish(ex, callback, e);
      return true;
    }
    if (!permits.tryAcquire()) {
      finish(ex, callback, new S3Exception(S3Error.SlowDown, "please reduce your request rate"));
      return true;
    }
    org.eclipse.jetty.util.thread.Scheduler.Task deadline = config.requestDeadlineMillis() == 0 ? null
        : request.getComponents().getScheduler().schedule(() -> pastDeadline(request, requestId),
            config.requestDeadlineMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    try {
      if (admin != null && ex.rawPath().startsWith(ADMIN_PREFIX)) {
        String path = QueryParameters.decode(ex.rawPath(), false);
        // The health check is open; a metrics scrape may carry the metrics token instead of a
        // signature (the handler checks it); everything else must be signed.
        String authorization = ex.header("authorization");
        boolean metricsToken = path.equals(ADMIN_METRICS) && authorization != null && authorization.startsWith("Bearer ");
        String caller = path.equals(ADMIN_HEALTH) || path.equals(ADMIN_JOIN) || metricsToken ? null
            : authenticate(ex, null).accessKey();
        AdminResponse r = admin.handle(caller, ex.method(), path, ex.query().asMap(), ex.headers(), ex.rawBody());
        ex.sendBytes(r.status(), r.contentType(), r.body());
      } else {
        dispatch(ex);
      }
      callback.succeeded();
    } catch (Throwable t) {
      finish(ex, callback, t);
    } finally {
      if (deadline != null) deadline.cancel();
      permits.release();
    }
    return true;
  }

  /**
   * A request still running at the gateway's deadline: its connection is closed, so that the
   * read or write it waits in fails and it ends, storing nothing it had not finished.
   */
  private void pastDeadline(Request request, String requestId) {
    LOG.warn("request {} {} {} from {} ran past the deadline of {} ms: its connection is closed", requestId, request.getMethod(),
        request.getHttpURI().getPath(), Request.getRemoteAddr(request), config.requestDeadlineMillis());
    request.getConnectionMetaData().getConnection().getEndPoint().close();
  }

  /**
   * Checks the request's signature and counts a failure against its source address, and a
   * signature that does not match an existing access key against that key too. A source past its
   * limit of failures still has good signatures served, but an unknown access key from it costs no
   * cluster map read, and a failure is answered {@code SlowDown} (retry later) rather than checked
   * further. A key past its limit is treated alike: its failures get {@code SlowDown} from every
   * address, while a request its owner signs right is served (no one locks a key out by guessing
   * at it). A cluster map that cannot be read counts as no failure.
   */
  private Authentication authenticate(S3Exchange ex, String virtualHostBucket) throws S3Exception {
    long now = clock.millis();
    return counted(ex, now, a -> a.authenticate(ex.method(), ex.rawPath(), ex.query(), ex.headers(), now, virtualHostBucket));
  }

  /** Something a request is authenticated by: a check of its signature, by one of the gateway's authenticators. */
  @FunctionalInterface
  private interface SignatureCheck {
    Authentication verify(RequestAuthenticator authenticator) throws S3Exception;
  }

  /** Runs {@code check} with the failure counting and limits of {@link #authenticate}. */
  private Authentication counted(S3Exchange ex, long now, SignatureCheck check) throws S3Exception {
    String source = ex.remoteAddress();
    boolean overLimit = failedSignatures.blocked(source, now);
    try {
      return check.verify(overLimit ? knownKeysOnly : authenticator);
    } catch (S3Exception e) {
      if (e.error() == S3Error.ServiceUnavailable || e.error() == S3Error.InternalError) throw e;
      failedSignatures.failed(source, now);
      if (overLimit) {
        LOG.warn("request {} {} {} from {} failed to authenticate ({}), one too many from this address",
            ex.requestId(), ex.method(), ex.rawPath(), source, e.error());
        throw new S3Exception(S3Error.SlowDown, "too many requests that failed to authenticate from your address; please slow down");
      }
      java.util.Optional<String> key = e.mismatchedAccessKey();
      if (key.isPresent()) {
        boolean keyOverLimit = failedKeySignatures.blocked(key.get(), now);
        failedKeySignatures.failed(key.get(), now);
        if (keyOverLimit) {
          LOG.warn("request {} {} {} from {}: a wrong signature for access key {}, one too many for this key",
              ex.requestId(), ex.method(), ex.rawPath(), source, key.get());
          throw new S3Exception(S3Error.SlowDown, "too many requests with a wrong signature for this access key; please slow down");
        }
      }
      throw e;
    }
  }

  /** Refuses a request past its user's rate (an unsigned one's source address's), if the gateway limits it. */
  private void admit(S3Exchange ex, Authentication auth) throws S3Exception {
    if (config.userRequestsPerSecond() > 0) {
      String caller = auth.anonymous() ? "anonymous from " + ex.remoteAddress() : "user " + backend.ownerName(auth.accessKey());
      if (!userRequests.tryAcquire(caller, clock.millis())) {
        throw new S3Exception(S3Error.SlowDown, "more than " + config.userRequestsPerSecond()
            + " requests per second from one user; please reduce your request rate");
      }
    }
  }

  /** Verifies a form upload's policy signature, counted and limited as {@link #authenticate} counts a request's. */
  private Authentication formSigner(S3Exchange ex, java.util.Map<String, String> fields, String policy) throws S3Exception {
    return counted(ex, clock.millis(), a -> a.postPolicy(fields, policy));
  }

  private void finish(S3Exchange ex, Callback callback, Throwable t) {
    S3Exception s3 = toS3Exception(t);
    if (s3.error() == S3Error.InternalError) {
      LOG.error("request {} {} {} failed", ex.requestId(), ex.method(), ex.rawPath(), t);
    } else {
      LOG.debug("request {} {} {}: {} {}", ex.requestId(), ex.method(), ex.rawPath(), s3.error(), s3.getMessage());
    }
    if (ex.committed()) {
      callback.failed(t);
      return;
    }
    try {
      boolean bodyStillComing = ex.settleBody(DRAIN_BYTES_MAX);
      ex.sendError(s3.error(), s3.getMessage(), s3.expectedRegion().orElse(null));
      if (bodyStillComing) ex.lingerOnBody(DRAIN_BYTES_MAX);
      callback.succeeded();
    } catch (Throwable sendFailure) {
      callback.failed(sendFailure);
    }
  }

  private static S3Exception toS3Exception(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof S3Exception s) return s;
      if (c instanceof S3BodyException b) return b.toS3Exception();
    }
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof EofException) return new S3Exception(S3Error.IncompleteBody, "the request body ended early");
    }
    return new S3Exception(S3Error.InternalError, "we encountered an internal error; please try again");
  }

  private static QueryParameters emptyQuery() {
    try {
      return QueryParameters.parse("");
    } catch (S3Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private void dispatch(S3Exchange ex) throws S3Exception, IOException {
    String[] target = target(ex);
    if (ex.method().equals("OPTIONS")) {
      cors.preflight(ex, target[0]); // unsigned: the bucket's CORS rules answer it
      return;
    }
    if (target[0] != null && ex.header("origin") != null) {
      cors.annotate(ex, target[0]);
    }
    if (target[0] != null && target[1] == null && PostObjectOperations.isFormUpload(ex)) {
      if (backend.readOnlyReason() != null) {
        throw new S3Exception(S3Error.AccessDenied, backend.readOnlyReason());
      }
      posts.post(ex, target[0], (fields, policy) -> formSigner(ex, fields, policy), auth -> admit(ex, auth), Instant.ofEpochMilli(clock.millis()),
          backend.sseS3Available());
      return;
    }
    Authentication auth = authenticate(ex, target[2]);
    String bucket = target[0], key = target[1];
    admit(ex, auth);
    String readOnly = backend.readOnlyReason();
    if (readOnly != null && !ex.method().equals("GET") && !ex.method().equals("HEAD")) {
      throw new S3Exception(S3Error.AccessDenied, readOnly);
    }
    RequestContext ctx = PolicyContexts.of(ex, auth, () -> backend.ownerName(auth.accessKey()), Instant.ofEpochMilli(clock.millis()));
    QueryParameters q = ex.query();
    String method = ex.method();
    boolean objectWrite = key != null && method.equals("PUT") && !q.has("uploadId") && !q.has("partNumber") && !q.has("acl");
    if (key != null && (method.equals("GET") || method.equals("HEAD")) && ex.header(ObjectHeaders.SSE) != null) {
      // As S3 answers: SSE-S3 is asked for on a write; an object it encrypted is read without asking.
      throw new S3Exception(S3Error.InvalidArgument, "x-amz-server-side-encryption applies to writes, not to a " + method);
    }
    refuseServerSideEncryption(ex.headers(),
        key != null && (method.equals("GET") || method.equals("HEAD") || (objectWrite && ex.header("x-amz-copy-source") == null)),
        backend.sseS3Available() && (objectWrite || (key != null && method.equals("POST") && q.has("uploads"))));
    if (bucket == null) {
      if (method.equals("GET")) {
        backend.authorizeAccount(auth.accessKey(), false);
        buckets.listBuckets(ex, auth);
      } else {
        throw notAllowed(method);
      }
      return;
    }
    if (key == null && q.has("policy")) {
      backend.authorize(auth.accessKey(), bucket, null, S3Permission.OWNER, switch (method) {
        case "GET" -> "s3:GetBucketPolicy";
        case "DELETE" -> "s3:DeleteBucketPolicy";
        default -> "s3:PutBucketPolicy";
      }, ctx);
      buckets.policy(ex, auth, bucket);
      return;
    }
    if (key == null && (q.has("requestPayment") || q.has("logging"))) {
      boolean payment = q.has("requestPayment");
      String verb = method.equals("GET") ? "s3:Get" : "s3:Put";
      backend.authorize(auth.accessKey(), bucket, null, S3Permission.OWNER, verb + (payment ? "BucketRequestPayment" : "BucketLogging"), ctx);
      if (payment) buckets.requestPayment(ex, auth, bucket);
      else buckets.logging(ex, auth, bucket);
      return;
    }
    if (key == null && q.has("lifecycle")) {
      backend.authorize(auth.accessKey(), bucket, null, S3Permission.OWNER,
          method.equals("GET") ? "s3:GetLifecycleConfiguration" : "s3:PutLifecycleConfiguration", ctx);
      lifecycles.config(ex, auth, bucket);
      return;
    }
    if (key == null && q.has("cors")) {
      backend.authorize(auth.accessKey(), bucket, null, S3Permission.OWNER, method.equals("GET") ? "s3:GetBucketCORS" : "s3:PutBucketCORS",
          ctx);
      cors.config(ex, auth, bucket);
      return;
    }
    if (key == null && q.has("tagging")) {
      backend.authorize(auth.accessKey(), bucket, null, S3Permission.OWNER, method.equals("GET") ? "s3:GetBucketTagging" : "s3:PutBucketTagging",
          ctx);
      buckets.tagging(ex, auth, bucket);
      return;
    }
    if (key == null && q.has("publicAccessBlock")) {
      backend.authorize(auth.accessKey(), bucket, null, S3Permission.OWNER, method.equals("GET") ? "s3:GetBucketPublicAccessBlock"
          : "s3:PutBucketPublicAccessBlock", ctx);
      buckets.publicAccessBlock(ex, auth, bucket);
      return;
    }
    if (key == null && q.has("ownershipControls")) {
      backend.authorize(auth.accessKey(), bucket, null, S3Permission.OWNER, method.equals("GET") ? "s3:GetBucketOwnershipControls"
          : "s3:PutBucketOwnershipControls", ctx);
      buckets.ownershipControls(ex, auth, bucket);
      return;
    }
    if (key == null && q.has("policyStatus")) {
      backend.authorize(auth.accessKey(), bucket, null, S3Permission.OWNER, "s3:GetBucketPolicyStatus", ctx);
      buckets.policyStatus(ex, bucket);
      return;
    }
    if (key == null && q.has("encryption") && backend.sseS3Available()) {
      backend.authorize(auth.accessKey(), bucket, null, S3Permission.OWNER,
          method.equals("GET") ? "s3:GetEncryptionConfiguration" : "s3:PutEncryptionConfiguration", ctx);
      buckets.encryption(ex, auth, bucket);
      return;
    }
    if (key == null) {
      for (String sub : UNSUPPORTED_BUCKET_SUBRESOURCES) {
        if (q.has(sub)) throw new S3Exception(S3Error.NotImplemented, "the bucket subresource '" + sub + "' is not implemented");
      }
      authorizeBucketRequest(auth, bucket, method, q, ctx);
      if (q.has("acl")) {
        switch (method) {
          case "GET" -> acls.get(ex, auth, bucket, null);
          case "PUT" -> {
            acls.refuseBlocked(ex, bucket, null, true);
            acls.put(ex, auth, bucket, null);
          }
          default -> throw notAllowed(method);
        }
        return;
      }
      switch (method) {
        case "PUT" -> {
          if (q.has("versioning")) throw new S3Exception(S3Error.NotImplemented, "versioning is not implemented");
          buckets.createBucket(ex, auth, bucket);
        }
        case "HEAD" -> buckets.headBucket(ex, bucket);
        case "DELETE" -> buckets.deleteBucket(ex, bucket);
        case "GET" -> {
          if (q.has("location")) buckets.location(ex, bucket);
          else if (q.has("versioning")) buckets.versioning(ex, bucket);
          else if (q.has("uploads")) multipart.listUploads(ex, auth, bucket);
          else if (q.has("versions")) listings.listVersions(ex, auth, bucket);
          else if ("2".equals(q.first("list-type"))) listings.listV2(ex, auth, bucket);
          else listings.listV1(ex, auth, bucket);
        }
        case "POST" -> {
          if (q.has("delete")) objects.deleteMany(ex, auth, bucket, ctx);
          else throw new S3Exception(S3Error.NotImplemented, "this bucket POST operation is not implemented");
        }
        default -> throw notAllowed(method);
      }
      return;
    }
    ObjectKeyRule.check(key);
    for (String sub : UNSUPPORTED_OBJECT_SUBRESOURCES) {
      if (q.has(sub) && !(sub.equals("versionId") && "null".equals(q.first(sub)))) {
        throw new S3Exception(S3Error.NotImplemented, "the object subresource '" + sub + "' is not implemented");
      }
    }
    if (auth.anonymous() && method.equals("GET") && q.all().stream().anyMatch(p -> p.name().startsWith("response-"))) {
      // As S3: the response-* overrides are for signed requests (presigned URLs) only.
      throw new S3Exception(S3Error.InvalidRequest, "request specific response headers cannot be used for anonymous GET requests");
    }
    authorizeObjectRequest(ex, auth, bucket, key, method, q, ctx);
    if (method.equals("PUT") || method.equals("POST")) {
      acls.refuseBlocked(ex, bucket, key, q.has("acl"));
    }
    if (q.has("tagging")) {
      switch (method) {
        case "GET" -> objects.getTagging(ex, bucket, key);
        case "PUT" -> objects.putTagging(ex, auth, bucket, key);
        case "DELETE" -> objects.deleteTagging(ex, bucket, key);
        default -> throw notAllowed(method);
      }
      return;
    }
    if (q.has("acl")) {
      switch (method) {
        case "GET" -> acls.get(ex, auth, bucket, key);
        case "PUT" -> acls.put(ex, auth, bucket, key);
        default -> throw notAllowed(method);
      }
      return;
    }
    switch (method) {
      case "PUT" -> {
        if (q.has("uploadId") || q.has("partNumber")) multipart.uploadPart(ex, auth, bucket, key);
        else if (ex.header("x-amz-copy-source") != null) objects.copy(ex, bucket, key);
        else objects.put(ex, auth, bucket, key);
      }
      case "GET" -> {
        if (q.has("uploadId")) multipart.listParts(ex, auth, bucket, key);
        else if (q.has("attributes")) objects.attributes(ex, bucket, key);
        else objects.get(ex, bucket, key, true);
      }
      case "HEAD" -> objects.get(ex, bucket, key, false);
      case "DELETE" -> {
        if (q.has("uploadId")) multipart.abort(ex, bucket, key);
        else objects.delete(ex, bucket, key);
      }
      case "POST" -> {
        if (q.has("uploads")) multipart.create(ex, bucket, key);
        else if (q.has("uploadId")) multipart.complete(ex, auth, bucket, key);
        else throw new S3Exception(S3Error.NotImplemented, "this object POST operation is not implemented");
      }
      default -> throw notAllowed(method);
    }
  }

  /**
   * What a request on a bucket (no key) needs: creating a bucket any signed key that may write;
   * deleting it and its ACL the owner; writes (DeleteObjects) WRITE; everything else READ. The
   * S3 action named is what a bucket policy judges.
   */
  private void authorizeBucketRequest(Authentication auth, String bucket, String method, QueryParameters q, RequestContext ctx)
      throws S3Exception {
    if (method.equals("PUT") && !q.has("acl")) {
      backend.authorizeAccount(auth.accessKey(), true); // creating a bucket; versioning is refused after this
      return;
    }
    S3Permission needed;
    if (q.has("acl") || method.equals("DELETE")) needed = S3Permission.OWNER;
    else if (method.equals("POST")) needed = S3Permission.WRITE;
    else needed = S3Permission.READ;
    backend.authorize(auth.accessKey(), bucket, null, needed, bucketAction(method, q), ctx);
  }

  /** The S3 action (as bucket policies name it) of a request on a bucket. */
  static String bucketAction(String method, QueryParameters q) {
    if (q.has("acl")) return method.equals("GET") ? "s3:GetBucketAcl" : "s3:PutBucketAcl";
    return switch (method) {
      case "DELETE" -> "s3:DeleteBucket";
      case "POST" -> "s3:DeleteObject"; // DeleteObjects: each key is judged again as it is deleted
      default -> q.has("location") ? "s3:GetBucketLocation"
          : q.has("versioning") ? "s3:GetBucketVersioning"
          : q.has("uploads") ? "s3:ListBucketMultipartUploads"
          : q.has("versions") ? "s3:ListBucketVersions"
          : "s3:ListBucket"; // a listing, and HEAD
    };
  }

  /**
   * What a request on an object needs: reads (GET, HEAD, ListParts) READ; writes, deletes and
   * multipart uploads WRITE; its ACL OWNER; a copy also READ on the source object.
   */
  private void authorizeObjectRequest(S3Exchange ex, Authentication auth, String bucket, String key, String method,
      QueryParameters q, RequestContext ctx) throws S3Exception {
    S3Permission needed;
    if (q.has("acl")) needed = S3Permission.OWNER;
    else if (method.equals("GET") || method.equals("HEAD")) needed = S3Permission.READ;
    else needed = S3Permission.WRITE;
    try {
      backend.authorize(auth.accessKey(), bucket, key, needed, objectAction(method, q), ctx);
    } catch (S3Exception e) {
      // An object made public-read by itself, in a bucket that is not: anyone, signed or not, may
      // GET or HEAD it.
      boolean plainRead = (method.equals("GET") || method.equals("HEAD")) && !q.has("acl") && !q.has("tagging") && !q.has("uploadId");
      if (e.error() != S3Error.AccessDenied || !plainRead
          || !backend.objectReadableByAnyone(auth.accessKey(), bucket, key, objectAction(method, q), ctx)) {
        if (e.error() == S3Error.AccessDenied && plainRead && mayList(auth, bucket, key, ctx) && missing(bucket, key)) {
          // As S3 answers: a caller who may list the key's name learns it is not there, others only that they may not read it.
          throw new S3Exception(S3Error.NoSuchKey, "the specified key does not exist");
        }
        throw e;
      }
    }
    String copySource = ex.header("x-amz-copy-source");
    if (copySource != null && method.equals("PUT") && !q.has("acl")) {
      String[] source = ObjectOperations.copySource(copySource);
      backend.authorize(auth.accessKey(), source[0], source[1], S3Permission.READ, "s3:GetObject", ctx);
    }
  }

  /** Whether the caller may list bucket {@code bucket} under the prefix {@code key} ({@code s3:ListBucket}, {@code s3:prefix} the key). */
  private boolean mayList(Authentication auth, String bucket, String key, RequestContext ctx) throws S3Exception {
    RequestContext listing = k -> switch (k) {
      case "s3:prefix" -> java.util.List.of(key);
      case "s3:delimiter", "s3:max-keys" -> java.util.List.<String>of();
      default -> ctx.values(k);
    };
    try {
      backend.authorize(auth.accessKey(), bucket, null, S3Permission.READ, "s3:ListBucket", listing);
      return true;
    } catch (S3Exception denied) {
      if (denied.error() == S3Error.AccessDenied) return false;
      throw denied;
    }
  }

  /** Whether object {@code key} of {@code bucket} is not there. */
  private boolean missing(String bucket, String key) throws S3Exception {
    try {
      backend.headObject(bucket, key);
      return false;
    } catch (S3Exception e) {
      if (e.error() == S3Error.NoSuchKey) return true;
      throw e;
    }
  }

  /** The S3 action (as bucket policies name it) of a request on an object. */
  static String objectAction(String method, QueryParameters q) {
    if (q.has("acl")) return method.equals("GET") ? "s3:GetObjectAcl" : "s3:PutObjectAcl";
    if (q.has("tagging")) {
      return method.equals("GET") ? "s3:GetObjectTagging" : method.equals("DELETE") ? "s3:DeleteObjectTagging" : "s3:PutObjectTagging";
    }
    return switch (method) {
      case "GET", "HEAD" -> q.has("uploadId") ? "s3:ListMultipartUploadParts" : q.has("attributes") ? "s3:GetObjectAttributes"
          : "s3:GetObject";
      case "DELETE" -> q.has("uploadId") ? "s3:AbortMultipartUpload" : "s3:DeleteObject";
      default -> "s3:PutObject"; // PUT, copy, parts, and creating or completing an upload
    };
  }

  /**
   * SSE-C (the client's own key) is implemented for single PUTs, GETs and HEADs
   * ({@code sseCAllowed}); SSE-S3 ({@code x-amz-server-side-encryption: AES256}) for object
   * writes, copies and multipart uploads when the backend holds a master key
   * ({@code sseS3Allowed}). Every other server-side encryption request (SSE-KMS, SSE-C on a copy
   * or a multipart upload, both kinds at once) is refused rather than served without it, so that
   * no client believes data is encrypted that is not.
   */
  static void refuseServerSideEncryption(java.util.Map<String, String> headers, boolean sseCAllowed, boolean sseS3Allowed)
      throws S3Exception {
    String sseS3 = headers.get(ObjectHeaders.SSE);
    if (sseS3 != null && sseS3Allowed) {
      String v = sseS3.strip();
      if (v.startsWith("aws:kms")) {
        throw new S3Exception(S3Error.NotImplemented, "SSE-KMS is not implemented: use AES256 (SSE-S3)");
      }
      if (!v.equals("AES256")) {
        throw new S3Exception(S3Error.InvalidArgument, "x-amz-server-side-encryption must be AES256, not " + v);
      }
      if (headers.get(SseC.PREFIX + "algorithm") != null) {
        throw new S3Exception(S3Error.InvalidArgument, "SSE-S3 and SSE-C cannot both apply to one object");
      }
    }
    for (String name : headers.keySet()) {
      if (sseCAllowed && name.startsWith(SseC.PREFIX)) continue;
      if (sseS3Allowed && name.equals(ObjectHeaders.SSE)) continue;
      if (name.startsWith("x-amz-server-side-encryption") || name.startsWith("x-amz-copy-source-server-side-encryption")) {
        throw new S3Exception(S3Error.NotImplemented, "server-side encryption is not implemented: the header " + name
            + " cannot be honoured, so the request is refused");
      }
    }
  }

  /**
   * Bucket (or null) and key (or null) addressed by the request, and the bucket again if the Host
   * header named it (else null).
   */
  private String[] target(S3Exchange ex) throws S3Exception {
    String path = ex.rawPath();
    String host = ex.header("host");
    if (host != null && !config.virtualHostDomains().isEmpty()) {
      String h = host.toLowerCase(Locale.ROOT);
      int colon = h.lastIndexOf(':');
      if (colon > 0 && h.indexOf(']') < colon) h = h.substring(0, colon);
      for (String domain : config.virtualHostDomains()) {
        String suffix = "." + domain.toLowerCase(Locale.ROOT);
        if (h.endsWith(suffix) && h.length() > suffix.length()) {
          String bucket = h.substring(0, h.length() - suffix.length());
          String key = path.length() > 1 ? QueryParameters.decode(path.substring(1), false) : null;
          return new String[] {bucket, key, bucket};
        }
      }
    }
    if (path.equals("/")) return new String[] {null, null, null};
    int slash = path.indexOf('/', 1);
    String bucket = QueryParameters.decode(slash < 0 ? path.substring(1) : path.substring(1, slash), false);
    String key = slash < 0 || slash == path.length() - 1 ? null : QueryParameters.decode(path.substring(slash + 1), false);
    return new String[] {bucket, key, null};
  }

  private static S3Exception notAllowed(String method) {
    return new S3Exception(S3Error.MethodNotAllowed, "the method " + method + " is not allowed against this resource");
  }
}
