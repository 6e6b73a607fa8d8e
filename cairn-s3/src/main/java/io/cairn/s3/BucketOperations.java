package io.cairn.s3;

import java.io.IOException;
import java.util.List;
import org.w3c.dom.Element;

/** ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation, GetBucketVersioning. */
final class BucketOperations {
  /** Largest CreateBucketConfiguration body accepted. */
  static final int CREATE_BUCKET_XML_BYTES_MAX = 64 * 1024;
  /** Buckets per ListBuckets page (S3's limit for paginated listings). */
  static final int LIST_BUCKETS_MAX = 10_000;

  private final ObjectBackend backend;
  private final String region;

  BucketOperations(ObjectBackend backend, String region) {
    this.backend = backend;
    this.region = region;
  }

  /** ListBuckets, paginated when the client asks ({@code max-buckets}, {@code continuation-token}, {@code prefix}). */
  void listBuckets(S3Exchange ex, Authentication auth) throws S3Exception, IOException {
    QueryParameters q = ex.query();
    String prefix = q.firstOr("prefix", "");
    int maxBuckets = maxBuckets(q.first("max-buckets"));
    String token = q.first("continuation-token");
    String after = token == null || token.isEmpty() ? "" : ContinuationToken.decode(token).last();
    List<BucketSummary> buckets = backend.listBuckets(auth.accessKey());
    XmlWriter xml = XmlWriter.document("ListAllMyBucketsResult");
    String owner = backend.ownerName(auth.accessKey());
    xml.start("Owner").element("ID", owner).element("DisplayName", owner).end();
    xml.start("Buckets");
    int count = 0;
    String last = null;
    boolean truncated = false;
    for (BucketSummary b : buckets) {
      if (!b.name().startsWith(prefix) || b.name().compareTo(after) <= 0) continue;
      if (count == maxBuckets) {
        truncated = true;
        break;
      }
      xml.start("Bucket").element("Name", b.name()).element("CreationDate", HttpDates.iso8601(b.createdMillis()))
          .element("BucketRegion", region).end();
      count++;
      last = b.name();
    }
    xml.end();
    if (truncated) xml.element("ContinuationToken", new ContinuationToken(last, false).encode());
    if (q.has("prefix")) xml.element("Prefix", prefix);
    ex.sendXml(200, xml.toBytes());
  }

  private static int maxBuckets(String value) throws S3Exception {
    if (value == null) return LIST_BUCKETS_MAX;
    try {
      int v = Integer.parseInt(value.strip());
      if (v < 1 || v > LIST_BUCKETS_MAX) throw new NumberFormatException();
      return v;
    } catch (NumberFormatException e) {
      throw new S3Exception(S3Error.InvalidArgument, "max-buckets must be an integer from 1 to " + LIST_BUCKETS_MAX);
    }
  }

  void createBucket(S3Exchange ex, Authentication auth, String bucket) throws S3Exception, IOException {
    BucketNameRule.check(bucket);
    boolean publicRead = AclOperations.publicReadOnCreate(ex);
    DecodedBody body = RequestBodyDecoder.open(ex, auth, false, CREATE_BUCKET_XML_BYTES_MAX,
        "a CreateBucketConfiguration is at most " + CREATE_BUCKET_XML_BYTES_MAX + " bytes");
    if (body.length() != 0 && (body.length() > 0 || ex.header("transfer-encoding") != null)) {
      Element root = SafeXmlParser.parse(body.stream(), CREATE_BUCKET_XML_BYTES_MAX);
      if (root != null && !SafeXmlParser.name(root).equals("CreateBucketConfiguration")) {
        throw new S3Exception(S3Error.MalformedXML, "the body must be a CreateBucketConfiguration document");
      }
      String constraint = SafeXmlParser.childText(root, "LocationConstraint");
      if (constraint != null && !constraint.isBlank() && !constraint.strip().equals(region)) {
        throw new S3Exception(S3Error.InvalidArgument,
            "the location constraint '" + constraint.strip() + "' is incompatible with this endpoint's region " + region);
      }
    }
    String ownershipHeader = ex.header("x-amz-object-ownership");
    String ownership = ownershipHeader == null ? null : objectOwnership(ownershipHeader.strip(), S3Error.InvalidArgument);
    if (io.cairn.core.map.BucketInfo.OWNERSHIP_ENFORCED.equals(ownership) && publicRead) {
      throw new S3Exception(S3Error.InvalidBucketAclWithObjectOwnership,
          "a bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting");
    }
    String policy = ex.header("x-cairn-policy");
    boolean created = true;
    try {
      backend.createBucket(bucket, auth.accessKey(), policy == null || policy.isBlank() ? null : policy.strip());
    } catch (S3Exception e) {
      // S3 answers 200 to an owner re-creating a bucket in us-east-1 (BucketAlreadyOwnedByYou
      // elsewhere), and changes nothing of it.
      if (e.error() != S3Error.BucketAlreadyOwnedByYou || !region.equals(S3GatewayConfig.DEFAULT_REGION)) throw e;
      created = false;
    }
    if (created && publicRead) backend.setPublicRead(bucket, true);
    if (created && ownership != null) backend.setObjectOwnership(bucket, ownership);
    ex.setHeader("Location", "/" + bucket);
    ex.sendEmpty(200);
  }

  /** Largest PutBucketEncryption body accepted. */
  static final int ENCRYPTION_XML_BYTES_MAX = 16 * 1024;

  /** GetBucketPolicy, PutBucketPolicy, DeleteBucketPolicy: the policy as JSON, stored as sent. */
  void policy(S3Exchange ex, Authentication auth, String bucket) throws S3Exception, IOException {
    switch (ex.method()) {
      case "GET" -> {
        String policy = backend.bucketPolicy(bucket).orElseThrow(() -> new S3Exception(
            S3Error.NoSuchBucketPolicy, "the bucket policy does not exist"));
        ex.sendBytes(200, "application/json", policy.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
      case "PUT" -> {
        DecodedBody body = RequestBodyDecoder.open(ex, auth, false, io.cairn.core.access.BucketPolicy.BYTES_MAX,
            "a bucket policy is at most " + io.cairn.core.access.BucketPolicy.BYTES_MAX + " bytes");
        byte[] json = body.stream().readNBytes(io.cairn.core.access.BucketPolicy.BYTES_MAX + 1);
        String text;
        try {
          text = java.nio.charset.StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(json)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
          throw new S3Exception(S3Error.MalformedPolicy, "the policy is not UTF-8 text");
        }
        if (text.isBlank()) {
          throw new S3Exception(S3Error.MalformedPolicy, "the policy is empty");
        }
        backend.setBucketPolicy(bucket, text);
        ex.sendEmpty(204);
      }
      case "DELETE" -> {
        backend.setBucketPolicy(bucket, null);
        ex.sendEmpty(204);
      }
      default -> throw new S3Exception(S3Error.MethodNotAllowed, "the method " + ex.method() + " is not allowed against this resource");
    }
  }

  /**
   * GetBucketTagging, PutBucketTagging and DeleteBucketTagging: up to 50 tags under the rules of
   * object tags ({@link ObjectTagging}); a bucket without tags answers {@code 404 NoSuchTagSet}, and
   * an empty tag set removes them.
   */
  void tagging(S3Exchange ex, Authentication auth, String bucket) throws S3Exception, IOException {
    switch (ex.method()) {
      case "GET" -> {
        String tags = backend.bucketTags(bucket).orElseThrow(() -> new S3Exception(S3Error.NoSuchTagSet, "the tag set does not exist"));
        ex.sendXml(200, ObjectTagging.xml(ObjectTagging.fromHeader(tags, ObjectTagging.BUCKET_TAGS_MAX)));
      }
      case "PUT" -> {
        java.util.Map<String, String> tags = ObjectTagging.readBody(ex, auth, ObjectTagging.BUCKET_TAGS_MAX);
        backend.setBucketTags(bucket, tags.isEmpty() ? null : ObjectTagging.encode(tags));
        ex.sendEmpty(204);
      }
      case "DELETE" -> {
        backend.setBucketTags(bucket, null);
        ex.sendEmpty(204);
      }
      default -> throw new S3Exception(S3Error.MethodNotAllowed, "the method " + ex.method() + " is not allowed against this resource");
    }
  }

  static final int PUBLIC_ACCESS_BLOCK_XML_BYTES_MAX = 4 * 1024;
  private static final List<String> PUBLIC_ACCESS_BLOCK_FIELDS = List.of("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
      "RestrictPublicBuckets");

  /**
   * GetPublicAccessBlock, PutPublicAccessBlock and DeletePublicAccessBlock: a bucket's four Block
   * Public Access settings ({@link io.cairn.core.access.PublicAccessBlock}), each false when left
   * out; a bucket without them answers {@code 404 NoSuchPublicAccessBlockConfiguration}.
   */
  /**
   * The XML document of a bucket subresource's PUT, at most {@code bytesMax} bytes, whose root
   * element must be {@code rootName} (MalformedXML otherwise).
   */
  private static Element document(S3Exchange ex, Authentication auth, String rootName, int bytesMax) throws S3Exception, IOException {
    DecodedBody body = RequestBodyDecoder.open(ex, auth, false, bytesMax, "a " + rootName + " document is at most " + bytesMax + " bytes");
    Element root = SafeXmlParser.parse(body.stream(), bytesMax);
    if (root == null || !SafeXmlParser.name(root).equals(rootName)) {
      throw new S3Exception(S3Error.MalformedXML, "the body must be a " + rootName + " document");
    }
    return root;
  }

  /** Largest PutBucketOwnershipControls body accepted. */
  static final int OWNERSHIP_XML_BYTES_MAX = 4 * 1024;

  /**
   * GetBucketOwnershipControls, PutBucketOwnershipControls, DeleteBucketOwnershipControls: one
   * rule, {@code BucketOwnerEnforced} (ACLs disabled) or {@code BucketOwnerPreferred}. A bucket's
   * owner owns every object in it in Cairn, so {@code ObjectWriter} (the writer owning what it
   * writes) is NotImplemented rather than accepted and not kept.
   */
  void ownershipControls(S3Exchange ex, Authentication auth, String bucket) throws S3Exception, IOException {
    switch (ex.method()) {
      case "GET" -> {
        String ownership = backend.objectOwnership(bucket).orElseThrow(() -> new S3Exception(
            S3Error.OwnershipControlsNotFoundError, "the bucket ownership controls were not found"));
        ex.sendXml(200, XmlWriter.document("OwnershipControls").start("Rule").element("ObjectOwnership", ownership).end().toBytes());
      }
      case "PUT" -> {
        Element root = document(ex, auth, "OwnershipControls", OWNERSHIP_XML_BYTES_MAX);
        List<Element> rules = SafeXmlParser.children(root, "Rule");
        if (rules.size() != 1) {
          throw new S3Exception(S3Error.MalformedXML, "OwnershipControls takes exactly one Rule, not " + rules.size());
        }
        List<Element> values = SafeXmlParser.children(rules.getFirst(), "ObjectOwnership");
        if (values.size() != 1) {
          throw new S3Exception(S3Error.MalformedXML, "a Rule takes exactly one ObjectOwnership");
        }
        backend.setObjectOwnership(bucket, objectOwnership(values.getFirst().getTextContent().strip(), S3Error.MalformedXML));
        ex.sendEmpty(200);
      }
      case "DELETE" -> {
        backend.setObjectOwnership(bucket, null);
        ex.sendEmpty(204);
      }
      default -> throw new S3Exception(S3Error.MethodNotAllowed, "the method " + ex.method() + " is not allowed on ?ownershipControls");
    }
  }

  /** An Object Ownership value as Cairn keeps it; {@code invalid} for an unknown one, NotImplemented for ObjectWriter. */
  static String objectOwnership(String value, S3Error invalid) throws S3Exception {
    return switch (value) {
      case io.cairn.core.map.BucketInfo.OWNERSHIP_ENFORCED, io.cairn.core.map.BucketInfo.OWNERSHIP_PREFERRED -> value;
      case "ObjectWriter" -> throw new S3Exception(S3Error.NotImplemented,
          "ObjectWriter is not implemented: in Cairn a bucket's owner owns every object in it (BucketOwnerPreferred, or BucketOwnerEnforced)");
      default -> throw new S3Exception(invalid, "ObjectOwnership must be BucketOwnerEnforced, BucketOwnerPreferred or ObjectWriter, not '"
          + value + "'");
    };
  }

  void publicAccessBlock(S3Exchange ex, Authentication auth, String bucket) throws S3Exception, IOException {
    switch (ex.method()) {
      case "GET" -> {
        io.cairn.core.access.PublicAccessBlock b = backend.publicAccessBlock(bucket).orElseThrow(() -> new S3Exception(
            S3Error.NoSuchPublicAccessBlockConfiguration, "the public access block configuration was not found"));
        ex.sendXml(200, XmlWriter.document("PublicAccessBlockConfiguration")
            .element("BlockPublicAcls", Boolean.toString(b.blockPublicAcls()))
            .element("IgnorePublicAcls", Boolean.toString(b.ignorePublicAcls()))
            .element("BlockPublicPolicy", Boolean.toString(b.blockPublicPolicy()))
            .element("RestrictPublicBuckets", Boolean.toString(b.restrictPublicBuckets())).toBytes());
      }
      case "PUT" -> {
        Element root = document(ex, auth, "PublicAccessBlockConfiguration", PUBLIC_ACCESS_BLOCK_XML_BYTES_MAX);
        for (org.w3c.dom.Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
          if (n instanceof Element e && !PUBLIC_ACCESS_BLOCK_FIELDS.contains(SafeXmlParser.name(e))) {
            throw new S3Exception(S3Error.MalformedXML, "unknown element in a PublicAccessBlockConfiguration: " + SafeXmlParser.name(e));
          }
        }
        boolean[] v = new boolean[PUBLIC_ACCESS_BLOCK_FIELDS.size()];
        for (int i = 0; i < v.length; i++) {
          String field = PUBLIC_ACCESS_BLOCK_FIELDS.get(i);
          List<Element> found = SafeXmlParser.children(root, field);
          if (found.size() > 1) {
            throw new S3Exception(S3Error.MalformedXML, field + " is given more than once");
          }
          String text = found.isEmpty() ? "false" : found.getFirst().getTextContent().strip();
          if (!text.equals("true") && !text.equals("false")) {
            throw new S3Exception(S3Error.MalformedXML, field + " must be true or false, not '" + text + "'");
          }
          v[i] = text.equals("true");
        }
        backend.setPublicAccessBlock(bucket, new io.cairn.core.access.PublicAccessBlock(v[0], v[1], v[2], v[3]));
        ex.sendEmpty(200);
      }
      case "DELETE" -> {
        backend.setPublicAccessBlock(bucket, null);
        ex.sendEmpty(204);
      }
      default -> throw new S3Exception(S3Error.MethodNotAllowed, "the method " + ex.method() + " is not allowed on ?publicAccessBlock");
    }
  }

  /** GetBucketPolicyStatus: whether the bucket is public, by its policy or its ACL. */
  void policyStatus(S3Exchange ex, String bucket) throws S3Exception, IOException {
    if (!ex.method().equals("GET")) {
      throw new S3Exception(S3Error.MethodNotAllowed, "the method " + ex.method() + " is not allowed on ?policyStatus");
    }
    ex.sendXml(200, XmlWriter.document("PolicyStatus").element("IsPublic", Boolean.toString(backend.bucketIsPublic(bucket))).toBytes());
  }

  /**
   * GetBucketEncryption, PutBucketEncryption and DeleteBucketEncryption: a bucket's default
   * server-side encryption, SSE-S3 ({@code AES256}) or none. SSE-KMS is not implemented.
   */
  void encryption(S3Exchange ex, Authentication auth, String bucket) throws S3Exception, IOException {
    switch (ex.method()) {
      case "GET" -> {
        String algorithm = backend.bucketEncryption(bucket).orElseThrow(() -> new S3Exception(
            S3Error.ServerSideEncryptionConfigurationNotFoundError, "the server side encryption configuration was not found"));
        ex.sendXml(200, XmlWriter.document("ServerSideEncryptionConfiguration")
            .start("Rule").start("ApplyServerSideEncryptionByDefault").element("SSEAlgorithm", algorithm).end()
            .element("BucketKeyEnabled", "false").end().toBytes());
      }
      case "PUT" -> {
        Element root = document(ex, auth, "ServerSideEncryptionConfiguration", ENCRYPTION_XML_BYTES_MAX);
        List<Element> rules = SafeXmlParser.children(root, "Rule");
        if (rules.size() != 1) {
          throw new S3Exception(S3Error.MalformedXML, "a ServerSideEncryptionConfiguration has exactly one Rule");
        }
        List<Element> defaults = SafeXmlParser.children(rules.getFirst(), "ApplyServerSideEncryptionByDefault");
        String algorithm = defaults.size() == 1 ? SafeXmlParser.childText(defaults.getFirst(), "SSEAlgorithm") : null;
        if (algorithm == null) {
          throw new S3Exception(S3Error.MalformedXML, "the Rule needs an ApplyServerSideEncryptionByDefault with an SSEAlgorithm");
        }
        algorithm = algorithm.strip();
        if (algorithm.startsWith("aws:kms")) {
          throw new S3Exception(S3Error.NotImplemented, "SSE-KMS is not implemented: use AES256 (SSE-S3)");
        }
        if (!algorithm.equals("AES256")) {
          throw new S3Exception(S3Error.InvalidArgument, "the SSEAlgorithm must be AES256, not " + algorithm);
        }
        if (SafeXmlParser.childText(defaults.getFirst(), "KMSMasterKeyID") != null) {
          throw new S3Exception(S3Error.InvalidArgument, "a KMSMasterKeyID goes only with aws:kms");
        }
        backend.setBucketEncryption(bucket, algorithm);
        ex.sendEmpty(200);
      }
      case "DELETE" -> {
        backend.setBucketEncryption(bucket, null);
        ex.sendEmpty(204);
      }
      default -> throw new S3Exception(S3Error.MethodNotAllowed, "the method " + ex.method() + " is not allowed on ?encryption");
    }
  }

  void headBucket(S3Exchange ex, String bucket) throws S3Exception, IOException {
    backend.headBucket(bucket);
    ex.setHeader("x-amz-bucket-region", region);
    ex.sendEmpty(200);
  }

  void deleteBucket(S3Exchange ex, String bucket) throws S3Exception, IOException {
    backend.deleteBucket(bucket);
    ex.sendEmpty(204);
  }

  void location(S3Exchange ex, String bucket) throws S3Exception, IOException {
    backend.headBucket(bucket);
    XmlWriter xml = XmlWriter.document("LocationConstraint");
    if (!region.equals(S3GatewayConfig.DEFAULT_REGION)) xml.text(region);
    ex.sendXml(200, xml.toBytes());
  }

  /** Largest PutBucketRequestPayment or PutBucketLogging body accepted. */
  static final int SMALL_XML_BYTES_MAX = 4 * 1024;

  /**
   * GetBucketRequestPayment: the bucket's owner pays, always. PutBucketRequestPayment may say so
   * again; making the requester pay is NotImplemented.
   */
  void requestPayment(S3Exchange ex, Authentication auth, String bucket) throws S3Exception, IOException {
    backend.headBucket(bucket);
    switch (ex.method()) {
      case "GET" -> ex.sendXml(200, XmlWriter.document("RequestPaymentConfiguration").element("Payer", "BucketOwner").toBytes());
      case "PUT" -> {
        String payer = SafeXmlParser.childText(document(ex, auth, "RequestPaymentConfiguration", SMALL_XML_BYTES_MAX), "Payer");
        switch (payer == null ? "" : payer.strip()) {
          case "BucketOwner" -> ex.sendEmpty(200);
          case "Requester" -> throw new S3Exception(S3Error.NotImplemented, "Requester Pays is not implemented: the bucket's owner pays");
          default -> throw new S3Exception(S3Error.MalformedXML, "Payer is BucketOwner or Requester");
        }
      }
      default -> throw new S3Exception(S3Error.MethodNotAllowed, "the method " + ex.method() + " is not allowed on ?requestPayment");
    }
  }

  /**
   * GetBucketLogging: no server access logging (an empty BucketLoggingStatus). PutBucketLogging may
   * turn it off (an empty status); turning it on is NotImplemented.
   */
  void logging(S3Exchange ex, Authentication auth, String bucket) throws S3Exception, IOException {
    backend.headBucket(bucket);
    switch (ex.method()) {
      case "GET" -> ex.sendXml(200, XmlWriter.document("BucketLoggingStatus").toBytes());
      case "PUT" -> {
        Element status = document(ex, auth, "BucketLoggingStatus", SMALL_XML_BYTES_MAX);
        if (!SafeXmlParser.children(status, "LoggingEnabled").isEmpty()) {
          throw new S3Exception(S3Error.NotImplemented, "server access logging is not implemented");
        }
        ex.sendEmpty(200);
      }
      default -> throw new S3Exception(S3Error.MethodNotAllowed, "the method " + ex.method() + " is not allowed on ?logging");
    }
  }

  void versioning(S3Exchange ex, String bucket) throws S3Exception, IOException {
    backend.headBucket(bucket);
    ex.sendXml(200, XmlWriter.document("VersioningConfiguration").toBytes());
  }
}
