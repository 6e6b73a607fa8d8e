package io.cairn.s3;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;

/** Parses small S3 request documents with DTDs, external entities and XInclude disabled. */
public final class SafeXmlParser {
  private SafeXmlParser() {}

  /** Reads at most {@code bytesMax} bytes of body and parses them; anything wrong is MalformedXML. */
  public static Element parse(InputStream body, int bytesMax) throws S3Exception, IOException {
    byte[] bytes = body.readNBytes(bytesMax + 1);
    if (bytes.length > bytesMax) {
      throw new S3Exception(S3Error.MalformedXML, "the XML body is larger than " + bytesMax + " bytes");
    }
    if (bytes.length == 0) throw new S3Exception(S3Error.MalformedXML, "the XML body is empty");
    try {
      DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
      f.setNamespaceAware(true);
      f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      f.setFeature("http://xml.org/sax/features/external-general-entities", false);
      f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
      f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
      f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
      f.setXIncludeAware(false);
      f.setExpandEntityReferences(false);
      DocumentBuilder builder = f.newDocumentBuilder();
      builder.setErrorHandler(null);
      Document doc = builder.parse(new ByteArrayInputStream(bytes));
      return doc.getDocumentElement();
    } catch (SAXException e) {
      throw new S3Exception(S3Error.MalformedXML,
          "the XML you provided was not well-formed or did not validate against our published schema");
    } catch (ParserConfigurationException e) {
      throw new IllegalStateException("the JDK XML parser lacks a required safety feature", e);
    }
  }

  /** The name of an element without namespace prefix. */
  public static String name(Node node) {
    String local = node.getLocalName();
    return local != null ? local : node.getNodeName();
  }

  /** Child elements of {@code parent} called {@code name}. */
  public static List<Element> children(Element parent, String name) {
    List<Element> out = new ArrayList<>();
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && name(e).equals(name)) out.add(e);
    }
    return out;
  }

  /** The text of the first child element called {@code name}, or null. */
  public static String childText(Element parent, String name) {
    List<Element> c = children(parent, name);
    return c.isEmpty() ? null : c.getFirst().getTextContent();
  }
}
