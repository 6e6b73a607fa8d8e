package io.cairn.s3;

import io.cairn.core.access.BucketCors;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.w3c.dom.Element;

/**
 * CORS: a bucket's configuration ({@code GET|PUT|DELETE ?cors}, its owner's), a browser's
 * preflight ({@code OPTIONS}, unsigned: answered by the bucket's rules), and the
 * {@code Access-Control-*} headers on an actual request that carries an {@code Origin} a rule
 * allows (on errors too, so that the page can read them).
 */
final class CorsOperations {
  static final int XML_BYTES_MAX = 64 * 1024;
  private static final String VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";

  private final ObjectBackend backend;
  /** Rules read already, by their stored text: they are matched on every request with an Origin. */
  private final java.util.Map<String, List<BucketCors.Rule>> parsed = new java.util.concurrent.ConcurrentHashMap<>();
  private static final int PARSED_MAX = 1024;

  CorsOperations(ObjectBackend backend) {
    this.backend = backend;
  }

  private List<BucketCors.Rule> rulesOf(String json) {
    List<BucketCors.Rule> rules = parsed.get(json);
    if (rules == null) {
      rules = BucketCors.parse(json); // the map holds only rules that parse
      if (parsed.size() >= PARSED_MAX) parsed.clear();
      parsed.put(json, rules);
    }
    return rules;
  }

  /** GetBucketCors, PutBucketCors, DeleteBucketCors. */
  void config(S3Exchange ex, Authentication auth, String bucket) throws S3Exception, IOException {
    switch (ex.method()) {
      case "GET" -> {
        String json = backend.bucketCors(bucket).orElseThrow(() -> new S3Exception(S3Error.NoSuchCORSConfiguration,
            "the CORS configuration does not exist"));
        ex.sendXml(200, xml(BucketCors.parse(json)));
      }
      case "PUT" -> {
        DecodedBody body = RequestBodyDecoder.open(ex, auth, false, XML_BYTES_MAX,
            "a CORSConfiguration is at most " + XML_BYTES_MAX + " bytes");
        List<BucketCors.Rule> rules = rules(SafeXmlParser.parse(body.stream(), XML_BYTES_MAX));
        backend.setBucketCors(bucket, BucketCors.json(rules));
        ex.sendEmpty(200);
      }
      case "DELETE" -> {
        backend.setBucketCors(bucket, null);
        ex.sendEmpty(204);
      }
      default -> throw new S3Exception(S3Error.MethodNotAllowed, "the method " + ex.method() + " is not allowed on ?cors");
    }
  }

  /** Answers a browser's preflight request for {@code bucket} (null: the service, which has no CORS). */
  void preflight(S3Exchange ex, String bucket) throws S3Exception, IOException {
    String origin = ex.header("origin");
    if (origin == null) {
      throw new S3Exception(S3Error.InvalidRequest, "insufficient information: the Origin request header is needed");
    }
    String method = ex.header("access-control-request-method");
    if (method == null || !BucketCors.METHODS.contains(method)) {
      throw new S3Exception(S3Error.InvalidRequest, "invalid Access-Control-Request-Method: " + method);
    }
    Optional<String> json = bucket == null ? Optional.empty() : backend.bucketCors(bucket);
    if (json.isEmpty()) {
      throw new S3Exception(S3Error.AccessDenied, "CORSResponse: CORS is not enabled for this bucket");
    }
    List<String> headers = BucketCors.headerList(ex.header("access-control-request-headers"));
    BucketCors.Rule rule = BucketCors.match(rulesOf(json.get()), origin, method, headers).orElseThrow(() ->
        new S3Exception(S3Error.AccessDenied, "CORSResponse: this CORS request is not allowed: the bucket's CORS rules allow "
            + "no such origin, method or request headers"));
    allow(ex, rule, origin);
    if (!headers.isEmpty()) ex.setHeader("Access-Control-Allow-Headers", String.join(", ", headers));
    if (rule.maxAgeSeconds() != null) ex.setHeader("Access-Control-Max-Age", rule.maxAgeSeconds().toString());
    ex.sendEmpty(200);
  }

  /** Adds the CORS headers to an actual request from {@code Origin} that a rule of {@code bucket} allows. */
  void annotate(S3Exchange ex, String bucket) {
    String origin = ex.header("origin");
    Optional<String> json;
    try {
      json = backend.bucketCors(bucket);
    } catch (S3Exception noBucketOrNoCors) {
      return; // the request itself says so
    }
    if (json.isEmpty()) return;
    BucketCors.match(rulesOf(json.get()), origin, ex.method(), List.of()).ifPresent(rule -> allow(ex, rule, origin));
  }

  private static void allow(S3Exchange ex, BucketCors.Rule rule, String origin) {
    boolean any = rule.anyOrigin(origin);
    ex.setHeader("Access-Control-Allow-Origin", any ? "*" : origin);
    ex.setHeader("Access-Control-Allow-Methods", String.join(", ", rule.allowedMethods()));
    if (!any) ex.setHeader("Access-Control-Allow-Credentials", "true");
    if (!rule.exposeHeaders().isEmpty()) ex.setHeader("Access-Control-Expose-Headers", String.join(", ", rule.exposeHeaders()));
    ex.setHeader("Vary", VARY);
  }

  /** The rules of a {@code CORSConfiguration} document. */
  static List<BucketCors.Rule> rules(Element root) throws S3Exception {
    if (!SafeXmlParser.name(root).equals("CORSConfiguration")) {
      throw new S3Exception(S3Error.MalformedXML, "the body must be a CORSConfiguration document");
    }
    List<Element> ruleElements = SafeXmlParser.children(root, "CORSRule");
    if (ruleElements.isEmpty() || ruleElements.size() > BucketCors.RULES_MAX) {
      throw new S3Exception(S3Error.MalformedXML, "a CORSConfiguration has 1 to " + BucketCors.RULES_MAX + " CORSRules");
    }
    List<BucketCors.Rule> rules = new ArrayList<>();
    for (Element r : ruleElements) {
      List<String> origins = texts(r, "AllowedOrigin");
      List<String> methods = texts(r, "AllowedMethod");
      if (origins.isEmpty() || methods.isEmpty()) {
        throw new S3Exception(S3Error.MalformedXML, "every CORSRule needs an AllowedOrigin and an AllowedMethod");
      }
      String maxAge = SafeXmlParser.childText(r, "MaxAgeSeconds");
      Integer age;
      try {
        age = maxAge == null ? null : Integer.valueOf(maxAge.strip());
      } catch (NumberFormatException e) {
        throw new S3Exception(S3Error.MalformedXML, "MaxAgeSeconds must be a whole number: " + maxAge);
      }
      try {
        rules.add(new BucketCors.Rule(SafeXmlParser.childText(r, "ID"), origins, methods, texts(r, "AllowedHeader"),
            texts(r, "ExposeHeader"), age));
      } catch (IllegalArgumentException e) {
        throw new S3Exception(S3Error.InvalidRequest, e.getMessage());
      }
    }
    return rules;
  }

  private static List<String> texts(Element parent, String name) {
    return SafeXmlParser.children(parent, name).stream().map(e -> e.getTextContent().strip()).toList();
  }

  static byte[] xml(List<BucketCors.Rule> rules) {
    XmlWriter xml = XmlWriter.document("CORSConfiguration");
    for (BucketCors.Rule r : rules) {
      xml.start("CORSRule");
      if (r.id() != null) xml.element("ID", r.id());
      r.allowedHeaders().forEach(h -> xml.element("AllowedHeader", h));
      r.allowedMethods().forEach(m -> xml.element("AllowedMethod", m));
      r.allowedOrigins().forEach(o -> xml.element("AllowedOrigin", o));
      r.exposeHeaders().forEach(h -> xml.element("ExposeHeader", h));
      if (r.maxAgeSeconds() != null) xml.element("MaxAgeSeconds", r.maxAgeSeconds());
      xml.end();
    }
    return xml.toBytes();
  }
}
