package io.cairn.s3;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The decoded query parameters of a request, in the order they were sent. */
public final class QueryParameters {
  /** Parameters accepted per request; S3 requests carry a handful. */
  public static final int PARAMETERS_MAX = 256;

  /** One decoded name/value pair; a parameter without '=' has the value "". */
  public record Parameter(String name, String value) {}

  private final List<Parameter> parameters;

  private QueryParameters(List<Parameter> parameters) {
    this.parameters = List.copyOf(parameters);
  }

  /** Parses a raw (percent-encoded) query string; null or "" gives no parameters. */
  public static QueryParameters parse(String rawQuery) throws S3Exception {
    List<Parameter> list = new ArrayList<>();
    if (rawQuery != null && !rawQuery.isEmpty()) {
      for (String part : rawQuery.split("&")) {
        if (part.isEmpty()) continue;
        if (list.size() == PARAMETERS_MAX) {
          throw new S3Exception(S3Error.InvalidArgument, "too many query parameters (max " + PARAMETERS_MAX + ")");
        }
        int eq = part.indexOf('=');
        String name = eq < 0 ? part : part.substring(0, eq);
        String value = eq < 0 ? "" : part.substring(eq + 1);
        list.add(new Parameter(decode(name, true), decode(value, true)));
      }
    }
    return new QueryParameters(list);
  }

  public List<Parameter> all() {
    return parameters;
  }

  public boolean has(String name) {
    for (Parameter p : parameters) if (p.name().equals(name)) return true;
    return false;
  }

  /** The first value of {@code name}, or null. */
  public String first(String name) {
    for (Parameter p : parameters) if (p.name().equals(name)) return p.value();
    return null;
  }

  public String firstOr(String name, String fallback) {
    String v = first(name);
    return v == null ? fallback : v;
  }

  public Map<String, String> asMap() {
    Map<String, String> map = new LinkedHashMap<>();
    for (Parameter p : parameters) map.putIfAbsent(p.name(), p.value());
    return map;
  }

  /**
   * Percent-decodes {@code s} as UTF-8; with {@code plusIsSpace} a '+' decodes to a space (query
   * strings), otherwise it stays a '+' (paths).
   */
  public static String decode(String s, boolean plusIsSpace) throws S3Exception {
    if (s.indexOf('%') < 0 && (!plusIsSpace || s.indexOf('+') < 0)) return s;
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= s.length()) throw new S3Exception(S3Error.InvalidArgument, "bad percent-encoding in URI");
        int hi = Character.digit(s.charAt(i + 1), 16);
        int lo = Character.digit(s.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) throw new S3Exception(S3Error.InvalidArgument, "bad percent-encoding in URI");
        out.write((hi << 4) | lo);
        i += 2;
      } else if (c == '+' && plusIsSpace) {
        out.write(' ');
      } else {
        byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        if (Character.isHighSurrogate(c) && i + 1 < s.length()) {
          b = s.substring(i, i + 2).getBytes(StandardCharsets.UTF_8);
          i++;
        }
        out.writeBytes(b);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
