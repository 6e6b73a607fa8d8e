package io.cairn.s3;

import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.w3c.dom.Element;

/**
 * An object's tags (S3 object tagging): at most 10 key-value pairs, keys of 1 to 128 characters
 * and values of up to 256, keys unique and not starting with {@code aws:}. They are sent with a
 * write as the {@code x-amz-tagging} header (URL-encoded, {@code k1=v1&k2=v2}) or set later with
 * {@code PUT ?tagging} (a {@code Tagging} document), and kept with the object in the stored
 * header {@link #STORED} in the header's own encoding; a GET or HEAD says how many there are
 * ({@code x-amz-tagging-count}).
 */
public final class ObjectTagging {
  /** Where an object's tags are stored among its headers (internal: never sent as a header). */
  public static final String STORED = ObjectHeaders.INTERNAL_PREFIX + "Tagging";
  static final String HEADER = "x-amz-tagging";
  static final int TAGS_MAX = 10;
  /** A bucket's tags ({@code PUT /bucket?tagging}) follow the same rules, up to 50 of them. */
  static final int BUCKET_TAGS_MAX = 50;
  static final int KEY_CHARS_MAX = 128;
  static final int VALUE_CHARS_MAX = 256;
  static final int XML_BYTES_MAX = 64 * 1024;

  private ObjectTagging() {}

  /** The tags of header value {@code header} (empty for an empty value), checked as an object's. */
  static Map<String, String> fromHeader(String header) throws S3Exception {
    return fromHeader(header, TAGS_MAX);
  }

  /** The tags of header value {@code header} (empty for an empty value), checked, at most {@code max}. */
  static Map<String, String> fromHeader(String header, int max) throws S3Exception {
    Map<String, String> tags = new LinkedHashMap<>();
    if (header.isBlank()) return tags;
    for (String pair : header.split("&", -1)) {
      int eq = pair.indexOf('=');
      String k = decode(eq < 0 ? pair : pair.substring(0, eq));
      String v = eq < 0 ? "" : decode(pair.substring(eq + 1));
      add(tags, k, v, max);
    }
    return tags;
  }

  /** The tags of a {@code Tagging} document, checked, at most {@code max}. */
  static Map<String, String> fromXml(Element root, int max) throws S3Exception {
    if (!SafeXmlParser.name(root).equals("Tagging")) {
      throw new S3Exception(S3Error.MalformedXML, "the body must be a Tagging document");
    }
    List<Element> sets = SafeXmlParser.children(root, "TagSet");
    if (sets.size() != 1) throw new S3Exception(S3Error.MalformedXML, "a Tagging document has one TagSet");
    Map<String, String> tags = new LinkedHashMap<>();
    for (Element tag : SafeXmlParser.children(sets.get(0), "Tag")) {
      String k = SafeXmlParser.childText(tag, "Key");
      String v = SafeXmlParser.childText(tag, "Value");
      if (k == null || v == null) throw new S3Exception(S3Error.MalformedXML, "every Tag has a Key and a Value");
      add(tags, k, v, max);
    }
    return tags;
  }

  private static void add(Map<String, String> tags, String k, String v, int max) throws S3Exception {
    if (k.isEmpty() || k.codePointCount(0, k.length()) > KEY_CHARS_MAX) {
      throw new S3Exception(S3Error.InvalidTag, "a tag key is 1 to " + KEY_CHARS_MAX + " characters long");
    }
    if (v.codePointCount(0, v.length()) > VALUE_CHARS_MAX) {
      throw new S3Exception(S3Error.InvalidTag, "a tag value is at most " + VALUE_CHARS_MAX + " characters long");
    }
    if (k.regionMatches(true, 0, "aws:", 0, 4)) {
      throw new S3Exception(S3Error.InvalidTag, "tag keys starting with aws: are reserved");
    }
    if (tags.put(k, v) != null) {
      throw new S3Exception(S3Error.InvalidTag, "cannot provide multiple tags with the same key: " + k);
    }
    if (tags.size() > max) {
      throw new S3Exception(S3Error.InvalidTag, (max == TAGS_MAX ? "an object" : "a bucket") + " has at most " + max + " tags");
    }
  }

  /** {@code tags} in the header's encoding, as stored. */
  static String encode(Map<String, String> tags) {
    StringBuilder sb = new StringBuilder();
    for (var e : tags.entrySet()) {
      if (!sb.isEmpty()) sb.append('&');
      sb.append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=')
          .append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
    }
    return sb.toString();
  }

  /** The tags stored with an object (none when it has none). */
  public static Map<String, String> of(ObjectInfo info) {
    String stored = info.otherHeaders().get(STORED);
    try {
      return stored == null ? Map.of() : fromHeader(stored);
    } catch (S3Exception e) {
      throw new IllegalStateException("the stored tags of " + info.key() + " do not parse: " + e.getMessage(), e);
    }
  }

  /** The {@code Tagging} document of {@code tags}. */
  static byte[] xml(Map<String, String> tags) {
    XmlWriter xml = XmlWriter.document("Tagging").start("TagSet");
    for (var e : tags.entrySet()) {
      xml.start("Tag").element("Key", e.getKey()).element("Value", e.getValue()).end();
    }
    return xml.end().toBytes();
  }

  private static String decode(String s) throws S3Exception {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new S3Exception(S3Error.InvalidArgument, "the x-amz-tagging header is not URL-encoded: " + e.getMessage());
    }
  }

  /** Reads a {@code PUT ?tagging} body of an object. */
  static Map<String, String> readBody(S3Exchange ex, Authentication auth) throws S3Exception, IOException {
    return readBody(ex, auth, TAGS_MAX);
  }

  /** Reads a {@code PUT ?tagging} body with at most {@code max} tags. */
  static Map<String, String> readBody(S3Exchange ex, Authentication auth, int max) throws S3Exception, IOException {
    DecodedBody body = RequestBodyDecoder.open(ex, auth, false, XML_BYTES_MAX, "a Tagging document is at most " + XML_BYTES_MAX + " bytes");
    return fromXml(SafeXmlParser.parse(body.stream(), XML_BYTES_MAX), max);
  }
}
