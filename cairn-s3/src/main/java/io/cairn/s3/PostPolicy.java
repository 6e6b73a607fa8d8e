package io.cairn.s3;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The policy of a browser-based upload (POST Object), as its signer wrote it: when it expires, and
 * the conditions every field of the form must meet ({@code {"acl": "public-read"}}, {@code ["eq",
 * "$key", "a"]}, {@code ["starts-with", "$key", "user/"]}, {@code ["content-length-range", 1,
 * 1048576]}). A field that no condition names is refused, as S3 refuses it, so that whoever holds a
 * signed form can add nothing its signer did not allow.
 */
final class PostPolicy {
  private static final ObjectMapper JSON = new ObjectMapper();
  /**
   * Fields a policy need not name: the signature's own, the file, any {@code x-ignore-*}, and the
   * file's checksum ({@code x-amz-checksum-*}, which the upload checks), as in S3.
   */
  private static final Set<String> EXEMPT = Set.of("policy", "awsaccesskeyid", "signature", "x-amz-signature", "file");
  static final int BYTES_MAX = 20 * 1024;

  sealed interface Condition permits Equals, StartsWith, LengthRange {}

  /** The field {@code name} (lower case) equals {@code value}. */
  record Equals(String name, String value, String text) implements Condition {}

  /** The field {@code name} (lower case) starts with {@code prefix} ("" for any value). */
  record StartsWith(String name, String prefix, String text) implements Condition {}

  /** The file takes {@code min} to {@code max} bytes. */
  record LengthRange(long min, long max) implements Condition {}

  private final Instant expiration;
  private final List<Condition> conditions;

  private PostPolicy(Instant expiration, List<Condition> conditions) {
    this.expiration = expiration;
    this.conditions = List.copyOf(conditions);
  }

  List<Condition> conditions() {
    return conditions;
  }

  Instant expiration() {
    return expiration;
  }

  /** The policy of a form's {@code policy} field (base64 of a JSON document); InvalidPolicyDocument if it is not one. */
  static PostPolicy parse(String base64) throws S3Exception {
    byte[] json;
    try {
      json = Base64.getDecoder().decode(base64.replaceAll("\\s", "")); // line breaks in a long field are allowed
    } catch (IllegalArgumentException e) {
      throw invalid("the policy is not base64");
    }
    if (json.length > BYTES_MAX) throw invalid("the policy takes more than " + BYTES_MAX + " bytes");
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (IOException e) {
      throw invalid("the policy is not a JSON document");
    }
    if (root == null || !root.isObject()) throw invalid("the policy is not a JSON object");
    JsonNode exp = root.get("expiration");
    if (exp == null || !exp.isTextual()) throw invalid("the policy has no 'expiration'");
    Instant expiration;
    try {
      expiration = Instant.parse(exp.asText());
    } catch (DateTimeParseException e) {
      throw invalid("'expiration' is not an ISO 8601 time in UTC: " + exp.asText());
    }
    JsonNode conds = root.get("conditions");
    if (conds == null || !conds.isArray()) throw invalid("the policy has no 'conditions' list");
    List<Condition> conditions = new ArrayList<>();
    for (JsonNode c : conds) {
      conditions.add(condition(c));
    }
    return new PostPolicy(expiration, conditions);
  }

  private static Condition condition(JsonNode c) throws S3Exception {
    String text = c.toString();
    if (c.isObject()) {
      if (c.size() != 1) throw invalid("a condition object names one field: " + text);
      Iterator<Map.Entry<String, JsonNode>> it = c.fields();
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isValueNode()) throw invalid("a condition's value is a string: " + text);
      return new Equals(fieldName(e.getKey(), false, text), e.getValue().asText(), text);
    }
    if (!c.isArray() || c.isEmpty() || !c.get(0).isTextual()) throw invalid("a condition is an object or a list: " + text);
    String op = c.get(0).asText().toLowerCase(Locale.ROOT);
    if (c.size() != 3) throw invalid("a condition list has three items: " + text);
    switch (op) {
      case "eq" -> {
        return new Equals(fieldName(c.get(1).asText(), true, text), valueOf(c.get(2), text), text);
      }
      case "starts-with" -> {
        return new StartsWith(fieldName(c.get(1).asText(), true, text), valueOf(c.get(2), text), text);
      }
      case "content-length-range" -> {
        long min = number(c.get(1), text), max = number(c.get(2), text);
        if (min < 0 || max < min) throw invalid("content-length-range needs 0 <= min <= max: " + text);
        return new LengthRange(min, max);
      }
      default -> throw invalid("unknown condition '" + op + "': " + text);
    }
  }

  private static String fieldName(String raw, boolean dollar, String text) throws S3Exception {
    String name = raw;
    if (dollar) {
      if (!name.startsWith("$")) throw invalid("a field in a condition list starts with '$': " + text);
      name = name.substring(1);
    }
    if (name.isEmpty()) throw invalid("a condition names no field: " + text);
    return name.toLowerCase(Locale.ROOT);
  }

  private static String valueOf(JsonNode v, String text) throws S3Exception {
    if (!v.isValueNode()) throw invalid("a condition's value is a string: " + text);
    return v.asText();
  }

  private static long number(JsonNode v, String text) throws S3Exception {
    if (v.isIntegralNumber()) return v.asLong();
    if (v.isTextual()) {
      try {
        return Long.parseLong(v.asText().strip());
      } catch (NumberFormatException e) {
        // fall through
      }
    }
    throw invalid("content-length-range takes two whole numbers: " + text);
  }

  private static S3Exception invalid(String why) {
    return new S3Exception(S3Error.InvalidPolicyDocument, "invalid policy: " + why);
  }

  private static S3Exception denied(String why) {
    return new S3Exception(S3Error.AccessDenied, "Invalid according to Policy: " + why);
  }

  /**
   * Checks the form against the policy at {@code now}: not expired, every condition met by {@code
   * fields} (lower-case names; {@code bucket} is the bucket posted to), and no field that no condition
   * names. The file's length is checked as it is read ({@link #lengthRange}).
   */
  void check(Map<String, String> fields, String bucket, Instant now, String storedKey) throws S3Exception {
    if (!now.isBefore(expiration)) throw denied("Policy expired.");
    for (Condition c : conditions) {
      switch (c) {
        case Equals e -> {
          if (!holds(e.name(), fields, bucket, storedKey, v -> v.equals(e.value()))) throw denied("Policy Condition failed: " + e.text());
        }
        case StartsWith s -> {
          // starts-with "" admits any value, and no value: the form may leave the field out.
          if (!s.prefix().isEmpty() && !holds(s.name(), fields, bucket, storedKey, v -> startsWith(s.name(), v, s.prefix()))) {
            throw denied("Policy Condition failed: " + s.text());
          }
        }
        case LengthRange r -> { }
      }
    }
    List<String> extra = new ArrayList<>();
    for (String name : fields.keySet()) {
      if (EXEMPT.contains(name) || name.startsWith("x-ignore-") || name.startsWith("x-amz-checksum-")) continue;
      boolean named = conditions.stream().anyMatch(c -> c instanceof Equals e && e.name().equals(name)
          || c instanceof StartsWith s && s.name().equals(name));
      if (!named) extra.add(name);
    }
    if (!extra.isEmpty()) throw denied("Extra input fields: " + String.join(", ", extra));
  }

  /**
   * Whether a condition on field {@code name} holds: on the field as sent, or, for {@code key},
   * on the key the object is stored under ({@code ${filename}} replaced by the file's name), so
   * that {@code ["starts-with", "$key", "uploads/"]} admits {@code uploads/${filename}} and
   * {@code ${filename}} alike.
   */
  private static boolean holds(String name, Map<String, String> fields, String bucket, String storedKey,
      java.util.function.Predicate<String> condition) {
    String v = valueOf(name, fields, bucket);
    if (v != null && condition.test(v)) return true;
    return name.equals("key") && storedKey != null && condition.test(storedKey);
  }

  private static String valueOf(String name, Map<String, String> fields, String bucket) {
    return name.equals("bucket") ? bucket : fields.get(name);
  }

  /** Content-Type may list several types: each must start with the prefix. */
  private static boolean startsWith(String name, String value, String prefix) {
    if (!name.equals("content-type")) return value.startsWith(prefix);
    for (String part : value.split(",", -1)) {
      if (!part.strip().startsWith(prefix)) return false;
    }
    return true;
  }

  /** The bounds the file's length must keep, if the policy sets them (the narrowest of several). */
  Optional<LengthRange> lengthRange() {
    long min = 0, max = Long.MAX_VALUE;
    boolean any = false;
    for (Condition c : conditions) {
      if (c instanceof LengthRange r) {
        any = true;
        min = Math.max(min, r.min());
        max = Math.min(max, r.max());
      }
    }
    return any ? Optional.of(new LengthRange(min, max)) : Optional.empty();
  }
}
