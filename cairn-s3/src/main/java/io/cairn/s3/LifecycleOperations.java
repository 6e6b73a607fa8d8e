package io.cairn.s3;

import io.cairn.core.access.BucketLifecycle;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.w3c.dom.Element;

/**
 * PutBucketLifecycleConfiguration, GetBucketLifecycleConfiguration and DeleteBucketLifecycle: a
 * bucket's lifecycle rules as S3's {@code LifecycleConfiguration} document, kept in the cluster map
 * ({@link BucketLifecycle}). Expiration (Days or Date) and AbortIncompleteMultipartUpload are
 * carried out by the nodes' lifecycle pass; a rule with a Transition is {@code NotImplemented}
 * (there is one storage class), and the noncurrent-version actions are kept but have nothing to
 * act on (there is no versioning).
 */
final class LifecycleOperations {
  static final int XML_BYTES_MAX = 256 * 1024;

  private final ObjectBackend backend;

  LifecycleOperations(ObjectBackend backend) {
    this.backend = backend;
  }

  void config(S3Exchange ex, Authentication auth, String bucket) throws S3Exception, IOException {
    switch (ex.method()) {
      case "GET" -> {
        String json = backend.bucketLifecycle(bucket).orElseThrow(() -> new S3Exception(S3Error.NoSuchLifecycleConfiguration,
            "the lifecycle configuration does not exist"));
        ex.sendXml(200, xml(BucketLifecycle.parse(json)));
      }
      case "PUT" -> {
        DecodedBody body = RequestBodyDecoder.open(ex, auth, false, XML_BYTES_MAX,
            "a LifecycleConfiguration is at most " + XML_BYTES_MAX + " bytes");
        List<BucketLifecycle.Rule> rules = rules(SafeXmlParser.parse(body.stream(), XML_BYTES_MAX));
        String json;
        try {
          json = BucketLifecycle.json(rules);
        } catch (IllegalArgumentException e) {
          throw new S3Exception(S3Error.InvalidArgument, e.getMessage());
        }
        backend.setBucketLifecycle(bucket, json);
        ex.sendEmpty(200);
      }
      case "DELETE" -> {
        backend.setBucketLifecycle(bucket, null);
        ex.sendEmpty(204);
      }
      default -> throw new S3Exception(S3Error.MethodNotAllowed, "the method " + ex.method() + " is not allowed on ?lifecycle");
    }
  }

  /** The rules of a {@code LifecycleConfiguration} document, checked. */
  static List<BucketLifecycle.Rule> rules(Element root) throws S3Exception {
    if (!SafeXmlParser.name(root).equals("LifecycleConfiguration")) {
      throw new S3Exception(S3Error.MalformedXML, "the body must be a LifecycleConfiguration document");
    }
    List<Element> ruleElements = SafeXmlParser.children(root, "Rule");
    if (ruleElements.isEmpty()) throw new S3Exception(S3Error.MalformedXML, "a LifecycleConfiguration has at least one Rule");
    List<BucketLifecycle.Rule> rules = new java.util.ArrayList<>();
    for (Element r : ruleElements) {
      rules.add(rule(r));
    }
    return rules;
  }

  private static BucketLifecycle.Rule rule(Element r) throws S3Exception {
    for (String unsupported : new String[] {"Transition", "NoncurrentVersionTransition"}) {
      if (!SafeXmlParser.children(r, unsupported).isEmpty()) {
        throw new S3Exception(S3Error.NotImplemented, "lifecycle " + unsupported + "s are not implemented: Cairn has one storage class");
      }
    }
    String status = text(r, "Status");
    if (!"Enabled".equals(status) && !"Disabled".equals(status)) {
      throw new S3Exception(S3Error.MalformedXML, "a Rule's Status is Enabled or Disabled");
    }
    String legacyPrefix = SafeXmlParser.childText(r, "Prefix");
    List<Element> filters = SafeXmlParser.children(r, "Filter");
    if (legacyPrefix != null && !filters.isEmpty()) {
      throw new S3Exception(S3Error.MalformedXML, "a Rule has a Prefix or a Filter, not both");
    }
    if (filters.size() > 1) throw new S3Exception(S3Error.MalformedXML, "a Rule has one Filter");
    String prefix = legacyPrefix;
    Map<String, String> tags = new LinkedHashMap<>();
    Long greater = null, less = null;
    if (!filters.isEmpty()) {
      Element f = filters.getFirst();
      List<Element> and = SafeXmlParser.children(f, "And");
      int parts = countChildren(f);
      if (parts > 1) throw new S3Exception(S3Error.MalformedXML, "a Filter holds one condition; several go in an And");
      Element scope = and.isEmpty() ? f : and.getFirst();
      prefix = SafeXmlParser.childText(scope, "Prefix");
      for (Element tag : SafeXmlParser.children(scope, "Tag")) {
        String k = SafeXmlParser.childText(tag, "Key"), v = SafeXmlParser.childText(tag, "Value");
        if (k == null || v == null) throw new S3Exception(S3Error.MalformedXML, "every Tag has a Key and a Value");
        if (tags.put(k, v) != null) throw new S3Exception(S3Error.InvalidArgument, "a Filter names the tag " + k + " twice");
      }
      greater = number(scope, "ObjectSizeGreaterThan");
      less = number(scope, "ObjectSizeLessThan");
    }
    Integer days = null, abortDays = null, noncurrentDays = null;
    String date = null;
    Boolean deleteMarker = null;
    List<Element> expirations = SafeXmlParser.children(r, "Expiration");
    if (expirations.size() > 1) throw new S3Exception(S3Error.MalformedXML, "a Rule has one Expiration");
    if (!expirations.isEmpty()) {
      Element e = expirations.getFirst();
      days = integer(e, "Days");
      date = text(e, "Date");
      String marker = text(e, "ExpiredObjectDeleteMarker");
      deleteMarker = marker == null ? null : Boolean.valueOf(marker);
      if (days == null && date == null && marker == null) {
        throw new S3Exception(S3Error.MalformedXML, "an Expiration has Days, a Date or ExpiredObjectDeleteMarker");
      }
    }
    for (Element a : SafeXmlParser.children(r, "AbortIncompleteMultipartUpload")) {
      abortDays = integer(a, "DaysAfterInitiation");
      if (abortDays == null) throw new S3Exception(S3Error.MalformedXML, "AbortIncompleteMultipartUpload needs DaysAfterInitiation");
    }
    for (Element n : SafeXmlParser.children(r, "NoncurrentVersionExpiration")) {
      noncurrentDays = integer(n, "NoncurrentDays");
      if (noncurrentDays == null) throw new S3Exception(S3Error.MalformedXML, "NoncurrentVersionExpiration needs NoncurrentDays");
    }
    // A rule sent without an ID gets one, as S3 gives it (48 characters).
    String id = text(r, "ID");
    if (id == null || id.isBlank()) {
      id = java.util.Base64.getEncoder().encodeToString(java.util.UUID.randomUUID().toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII))
          .replace("=", "");
    }
    try {
      return new BucketLifecycle.Rule(id, status.equals("Enabled"), prefix, legacyPrefix != null ? Boolean.TRUE : null,
          tags, greater, less, days, date == null ? null : normalDate(date), deleteMarker, abortDays, noncurrentDays);
    } catch (IllegalArgumentException e) {
      throw new S3Exception(S3Error.InvalidArgument, e.getMessage());
    }
  }

  /** A Date as S3 takes it ({@code 2027-01-01T00:00:00.000Z}, or with an offset), as an ISO instant. */
  private static String normalDate(String date) throws S3Exception {
    try {
      return java.time.OffsetDateTime.parse(date.strip()).toInstant().toString();
    } catch (java.time.format.DateTimeParseException e) {
      throw new S3Exception(S3Error.InvalidArgument, "Invalid date: " + date + " (an ISO 8601 time at midnight GMT)");
    }
  }

  private static int countChildren(Element e) {
    int n = 0;
    for (org.w3c.dom.Node c = e.getFirstChild(); c != null; c = c.getNextSibling()) {
      if (c instanceof Element) n++;
    }
    return n;
  }

  private static String text(Element parent, String name) {
    String t = SafeXmlParser.childText(parent, name);
    return t == null ? null : t.strip();
  }

  private static Integer integer(Element parent, String name) throws S3Exception {
    Long n = number(parent, name);
    if (n == null) return null;
    if (n > Integer.MAX_VALUE || n < Integer.MIN_VALUE) throw new S3Exception(S3Error.InvalidArgument, name + " is out of range: " + n);
    return n.intValue();
  }

  private static Long number(Element parent, String name) throws S3Exception {
    String t = text(parent, name);
    if (t == null) return null;
    try {
      return Long.parseLong(t);
    } catch (NumberFormatException e) {
      throw new S3Exception(S3Error.InvalidArgument, name + " must be a whole number: " + t);
    }
  }

  static byte[] xml(List<BucketLifecycle.Rule> rules) {
    XmlWriter xml = XmlWriter.document("LifecycleConfiguration");
    for (BucketLifecycle.Rule r : rules) {
      xml.start("Rule");
      if (r.id() != null) xml.element("ID", r.id());
      if (Boolean.TRUE.equals(r.legacyPrefix())) {
        xml.element("Prefix", r.prefix());
      } else {
        xml.start("Filter");
        int conditions = (r.prefix().isEmpty() ? 0 : 1) + (r.tags() == null ? 0 : r.tags().size())
            + (r.sizeGreaterThan() == null ? 0 : 1) + (r.sizeLessThan() == null ? 0 : 1);
        if (conditions > 1) xml.start("And");
        if (!r.prefix().isEmpty() || conditions == 0) xml.element("Prefix", r.prefix());
        if (r.tags() != null) {
          r.tags().entrySet().stream().sorted(Map.Entry.comparingByKey())
              .forEach(t -> xml.start("Tag").element("Key", t.getKey()).element("Value", t.getValue()).end());
        }
        if (r.sizeGreaterThan() != null) xml.element("ObjectSizeGreaterThan", r.sizeGreaterThan());
        if (r.sizeLessThan() != null) xml.element("ObjectSizeLessThan", r.sizeLessThan());
        if (conditions > 1) xml.end();
        xml.end();
      }
      xml.element("Status", r.enabled() ? "Enabled" : "Disabled");
      if (r.expirationDays() != null || r.expirationDate() != null || r.expiredObjectDeleteMarker() != null) {
        xml.start("Expiration");
        if (r.expirationDays() != null) xml.element("Days", r.expirationDays());
        if (r.expirationDate() != null) xml.element("Date", r.expirationDate());
        if (r.expiredObjectDeleteMarker() != null) xml.element("ExpiredObjectDeleteMarker", r.expiredObjectDeleteMarker());
        xml.end();
      }
      if (r.noncurrentDays() != null) xml.start("NoncurrentVersionExpiration").element("NoncurrentDays", r.noncurrentDays()).end();
      if (r.abortIncompleteDays() != null) {
        xml.start("AbortIncompleteMultipartUpload").element("DaysAfterInitiation", r.abortIncompleteDays()).end();
      }
      xml.end();
    }
    return xml.toBytes();
  }
}
