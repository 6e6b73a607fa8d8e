package io.cairn.s3;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;

/** The date formats of S3: RFC 1123 in headers, ISO 8601 with milliseconds in XML. */
public final class HttpDates {
  private static final DateTimeFormatter ISO_MILLIS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private HttpDates() {}

  /**
   * HTTP's date as RFC 9110 fixes it (IMF-fixdate: {@code Tue, 01 Jan 2030 00:00:00 GMT}, the day
   * in two digits), which strict clients insist on; Java's RFC 1123 formatter writes a day below
   * 10 in one digit.
   */
  private static final DateTimeFormatter IMF_FIXDATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", java.util.Locale.US).withZone(ZoneOffset.UTC);

  public static String rfc1123(long millis) {
    return IMF_FIXDATE.format(Instant.ofEpochMilli(millis).truncatedTo(ChronoUnit.SECONDS));
  }

  public static String iso8601(long millis) {
    return ISO_MILLIS.format(Instant.ofEpochMilli(millis));
  }

  /**
   * Parses an RFC 1123 date whose day of the week may be wrong (clients compute it themselves),
   * or returns -1 if it is not one.
   */
  public static long parseRfc1123IgnoringWeekday(String value) {
    String v = value.strip();
    int comma = v.indexOf(',');
    return parseRfc1123(comma >= 0 ? v.substring(comma + 1) : v);
  }

  /** Parses an RFC 1123 date, or returns -1 if it is not one (such headers are ignored). */
  public static long parseRfc1123(String value) {
    try {
      return ZonedDateTime.parse(value.strip(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
    } catch (DateTimeParseException e) {
      return -1;
    }
  }
}
