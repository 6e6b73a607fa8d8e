package io.cairn.s3;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

/** Builds a small XML document with escaped text; S3 responses are at most a few megabytes. */
public final class XmlWriter {
  public static final String S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/";
  private final StringBuilder sb = new StringBuilder(1024).append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  private final Deque<String> open = new ArrayDeque<>();

  /** Starts the root element in the S3 namespace. */
  public static XmlWriter document(String root) {
    XmlWriter w = new XmlWriter();
    w.sb.append('<').append(root).append(" xmlns=\"").append(S3_NAMESPACE).append("\">");
    w.open.push(root);
    return w;
  }

  /** Starts a root element without a namespace (S3 error bodies). */
  public static XmlWriter plainDocument(String root) {
    XmlWriter w = new XmlWriter();
    w.sb.append('<').append(root).append('>');
    w.open.push(root);
    return w;
  }

  public XmlWriter start(String name) {
    sb.append('<').append(name).append('>');
    open.push(name);
    return this;
  }

  /** Starts an element with raw (already escaped) attributes, such as namespace declarations. */
  public XmlWriter startWithAttribute(String name, String rawAttributes) {
    sb.append('<').append(name).append(' ').append(rawAttributes).append('>');
    open.push(name);
    return this;
  }

  public XmlWriter end() {
    sb.append("</").append(open.pop()).append('>');
    return this;
  }

  public XmlWriter element(String name, String text) {
    sb.append('<').append(name).append('>');
    escape(text == null ? "" : text);
    sb.append("</").append(name).append('>');
    return this;
  }

  /** Appends escaped text inside the current element. */
  public XmlWriter text(String text) {
    escape(text);
    return this;
  }

  public XmlWriter element(String name, long value) {
    return element(name, Long.toString(value));
  }

  public XmlWriter element(String name, boolean value) {
    return element(name, Boolean.toString(value));
  }

  public byte[] toBytes() {
    while (!open.isEmpty()) end();
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  private void escape(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '&' -> sb.append("&amp;");
        case '"' -> sb.append("&quot;");
        case '\'' -> sb.append("&apos;");
        case '\r' -> sb.append("&#13;");
        case '\n' -> sb.append("&#10;");
        case '\t' -> sb.append("&#9;");
        default -> {
          if (c < 0x20) sb.append("&#").append((int) c).append(';');
          else sb.append(c);
        }
      }
    }
  }
}
