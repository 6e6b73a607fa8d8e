package io.cairn.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Object tags: the header's URL encoding and the Tagging document both ways, and S3's limits. */
class ObjectTaggingTest {

    @Test
    void theHeaderAndTheDocumentRoundTrip() throws Exception {
        Map<String, String> tags = ObjectTagging.fromHeader("team=blue&note=two%20words&plus=a+b&empty=&bare");
        assertThat(tags).containsExactly(Map.entry("team", "blue"), Map.entry("note", "two words"), Map.entry("plus", "a b"),
                Map.entry("empty", ""), Map.entry("bare", ""));
        assertThat(ObjectTagging.fromHeader(ObjectTagging.encode(tags))).isEqualTo(tags);
        assertThat(ObjectTagging.fromHeader("")).isEmpty();
        Map<String, String> unicode = Map.of("größe", "ä&=/ ü");
        assertThat(ObjectTagging.fromHeader(ObjectTagging.encode(unicode))).isEqualTo(unicode);
        byte[] xml = ObjectTagging.xml(tags);
        assertThat(ObjectTagging.fromXml(SafeXmlParser.parse(new ByteArrayInputStream(xml), 1 << 16), ObjectTagging.TAGS_MAX)).isEqualTo(tags);
    }

    @Test
    void s3LimitsAreInvalidTagAndMalformedDocumentsMalformedXml() throws Exception {
        StringBuilder eleven = new StringBuilder();
        for (int i = 0; i < 11; i++) {
            eleven.append(i == 0 ? "" : "&").append("k").append(i).append("=v");
        }
        assertThat(ObjectTagging.fromHeader(eleven.substring(0, eleven.lastIndexOf("&")))).hasSize(10);
        for (String bad : List.of(eleven.toString(), "=v", "aws:x=1", "AWS:x=1", "k=" + "v".repeat(257), "x".repeat(129) + "=v",
                "d=1&d=2")) {
            assertThatThrownBy(() -> ObjectTagging.fromHeader(bad)).as(bad).isInstanceOfSatisfying(S3Exception.class,
                    e -> assertThat(e.error()).isEqualTo(S3Error.InvalidTag));
        }
        assertThat(ObjectTagging.fromHeader("k=" + "é".repeat(256))).as("characters, not bytes").hasSize(1);
        assertThatThrownBy(() -> ObjectTagging.fromHeader("k=%zz")).isInstanceOfSatisfying(S3Exception.class,
                e -> assertThat(e.error()).isEqualTo(S3Error.InvalidArgument));
        for (String doc : List.of("<Tags/>", "<Tagging/>", "<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>")) {
            assertThatThrownBy(() -> ObjectTagging.fromXml(SafeXmlParser.parse(
                    new ByteArrayInputStream(doc.getBytes(StandardCharsets.UTF_8)), 1 << 16), ObjectTagging.TAGS_MAX)).as(doc)
                    .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.error()).isEqualTo(S3Error.MalformedXML));
        }
    }
}
