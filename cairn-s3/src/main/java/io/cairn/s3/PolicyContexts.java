package io.cairn.s3;

import io.cairn.core.access.RequestContext;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.function.Supplier;

/**
 * The condition keys of an S3 request, as AWS sets them, for bucket policies: how it came
 * ({@code aws:SecureTransport}, {@code aws:SourceIp}, {@code aws:UserAgent},
 * {@code aws:Referer}), when ({@code aws:CurrentTime}, {@code aws:EpochTime}), who signed it and
 * how ({@code aws:username}, {@code aws:PrincipalType}, {@code s3:signatureversion},
 * {@code s3:authType}), its S3 headers ({@code s3:x-amz-acl}, {@code s3:x-amz-server-side-encryption},
 * ...), and a listing's {@code s3:prefix}, {@code s3:delimiter} and {@code s3:max-keys}.
 */
public final class PolicyContexts {

  private PolicyContexts() {}

  /**
   * The context of request {@code ex}, authenticated as {@code auth} by the user that
   * {@code userName} names (asked only if a condition needs it; null for an anonymous request),
   * received at {@code now}.
   */
  public static RequestContext of(S3Exchange ex, Authentication auth, Supplier<String> userName, Instant now) {
    return of(ex, auth, userName, now, ex::header, auth.presigned() ? "REST-QUERY-STRING" : "REST-HEADER");
  }

  /**
   * The context of a browser-based upload: its form's fields stand for the request headers they
   * set ({@code formHeaders}, lower-case names), and its s3:authType is POST.
   */
  public static RequestContext ofForm(S3Exchange ex, Authentication auth, Supplier<String> userName, Instant now,
      java.util.Map<String, String> formHeaders) {
    return of(ex, auth, userName, now, formHeaders::get, "POST");
  }

  private static RequestContext of(S3Exchange ex, Authentication auth, Supplier<String> userName, Instant now,
      java.util.function.Function<String, String> header, String authType) {
    return key -> {
      String v = switch (key) {
        case "aws:securetransport" -> String.valueOf(ex.secure());
        case "aws:sourceip" -> ex.remoteAddress();
        case "aws:currenttime" -> now.truncatedTo(ChronoUnit.SECONDS).toString();
        case "aws:epochtime" -> String.valueOf(now.getEpochSecond());
        case "aws:useragent" -> ex.header("user-agent");
        case "aws:referer" -> ex.header("referer");
        case "aws:username" -> auth.anonymous() ? null : userName.get();
        case "aws:principaltype" -> auth.anonymous() ? "Anonymous" : "User";
        case "s3:signatureversion" -> auth.anonymous() ? null : auth.scope() == null ? "AWS" : "AWS4-HMAC-SHA256";
        case "s3:authtype" -> auth.anonymous() ? null : authType;
        case "s3:prefix", "s3:delimiter", "s3:max-keys" -> ex.query().first(key.substring(3));
        case "s3:x-amz-acl", "s3:x-amz-server-side-encryption", "s3:x-amz-server-side-encryption-customer-algorithm",
             "s3:x-amz-copy-source", "s3:x-amz-metadata-directive", "s3:x-amz-storage-class", "s3:x-amz-content-sha256" ->
            header.apply(key.substring(3));
        default -> null;
      };
      return v == null ? List.of() : List.of(v);
    };
  }
}
