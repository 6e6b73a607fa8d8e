package io.cairn.s3;

/** The S3 rules for bucket names: 3-63 of [a-z0-9.-], alphanumeric at both ends, no "..", not an IP address. */
public final class BucketNameRule {
  private BucketNameRule() {}

  public static void check(String name) throws S3Exception {
    String why = violation(name);
    if (why != null) throw new S3Exception(S3Error.InvalidBucketName, "the bucket name '" + name + "' is not valid: " + why);
  }

  /** Why {@code name} is not a valid bucket name, or null if it is. */
  public static String violation(String name) {
    if (name == null || name.length() < 3 || name.length() > 63) return "it must be 3 to 63 characters long";
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) {
        return "only lower-case letters, digits, dots and hyphens are allowed";
      }
    }
    if (!isAlnum(name.charAt(0)) || !isAlnum(name.charAt(name.length() - 1))) {
      return "it must begin and end with a letter or digit";
    }
    if (name.contains("..") || name.contains(".-") || name.contains("-.")) return "dots must not be adjacent to dots or hyphens";
    if (name.matches("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}")) return "it must not look like an IP address";
    if (name.startsWith("xn--") || name.endsWith("-s3alias") || name.endsWith("--ol-s3")) return "it uses a reserved prefix or suffix";
    return null;
  }

  private static boolean isAlnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  }
}
