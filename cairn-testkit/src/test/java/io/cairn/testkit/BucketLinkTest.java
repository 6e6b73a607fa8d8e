package io.cairn.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.cairn.server.dev.DevCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Bucket;

/**
 * A primary cluster of one real node, which takes a consistent cut every 500 ms, links one of its
 * two buckets ({@code cairn admin replicate add --bucket}) to a backup cluster of one real node:
 * the backup comes to show that bucket's objects, those written before the link and after, small
 * and of chunks, byte for byte, and holds nothing of the other bucket, neither the bucket nor a
 * record of it. A backup site that shows a round of that link is not linked again for other
 * buckets.
 */
@ExtendWith(NodeLogsOnFailure.class)
class BucketLinkTest {

    TestCluster primary;
    TestCluster backup;

    @AfterEach
    void stop() {
        if (primary != null) {
            primary.close();
        }
        if (backup != null) {
            backup.close();
        }
    }

    @Test
    void aBucketLinkedOnItsOwnIsShippedAndNoOtherIs() throws Exception {
        backup = TestCluster.startWithPartitions(1, 8, Map.of(0, DevCluster.NodeSettings.backupSiteNode()));
        primary = TestCluster.startWithPartitions(1, 8, Map.of(0, DevCluster.NodeSettings.cutInterval(500)));
        S3Client s3 = primary.s3(0);
        byte[] big = ObjectData.bytes(11, 300 << 10);
        for (String bucket : List.of("linked", "other")) {
            s3.createBucket(r -> r.bucket(bucket));
            s3.putObject(r -> r.bucket(bucket).key("small-before"), RequestBody.fromString(bucket + " before"));
            s3.putObject(r -> r.bucket(bucket).key("big-before"), RequestBody.fromBytes(big));
        }
        List<String> endpoints = List.of(backup.endpoint(0));
        String key = backup.accessKey() + ":" + backup.secretKey();
        assertThatThrownBy(() -> primary.admin().replicateAdd(endpoints, key, null, List.of("nosuch")))
                .hasMessageContaining("no bucket nosuch");
        JsonNode linked = primary.admin().replicateAdd(endpoints, key, null, List.of("linked"));
        assertThat(linked.path("linked").asBoolean()).isTrue();
        assertThat(linked.path("buckets").toString()).isEqualTo("[\"linked\"]");
        assertThat(primary.admin().replicate().path("buckets").toString()).isEqualTo("[\"linked\"]");
        for (String bucket : List.of("linked", "other")) {
            s3.putObject(r -> r.bucket(bucket).key("small-after"), RequestBody.fromString(bucket + " after"));
            s3.putObject(r -> r.bucket(bucket).key("big-after"), RequestBody.fromBytes(big));
        }

        S3Client reader = backup.s3(0);
        Awaitility.await("the linked bucket's objects shown at the backup").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> reader.listObjectsV2(r -> r.bucket("linked")).contents().size() == 4);
        assertThat(reader.getObjectAsBytes(r -> r.bucket("linked").key("small-before")).asUtf8String()).isEqualTo("linked before");
        assertThat(reader.getObjectAsBytes(r -> r.bucket("linked").key("small-after")).asUtf8String()).isEqualTo("linked after");
        assertThat(reader.getObjectAsBytes(r -> r.bucket("linked").key("big-before")).asByteArray()).isEqualTo(big);
        assertThat(reader.getObjectAsBytes(r -> r.bucket("linked").key("big-after")).asByteArray()).isEqualTo(big);

        // Nothing of the other bucket: not the bucket, not an index entry, not a chunk.
        assertThat(reader.listBuckets().buckets()).extracting(Bucket::name).containsExactly("linked");
        List<String> kept = new ArrayList<>();
        for (String prefix : List.of("i/", "c/", "u/", "p/")) {
            backup.admin().backupVisible(prefix).path("keys").forEach(k -> kept.add(k.path("key").asText()));
        }
        assertThat(kept).as("the records the backup shows").isNotEmpty()
                .allSatisfy(k -> assertThat(k).matches("[icup]/linked\\.[0-9]+/.*"));
        assertThat(kept.stream().filter(k -> k.startsWith("c/"))).as("the chunks of the two big objects").hasSizeGreaterThanOrEqualTo(2);

        // The backup shows a round of this link: linked again only with the same buckets.
        assertThatThrownBy(() -> primary.admin().replicateAdd(endpoints, key, null, List.of("linked", "other")))
                .hasMessageContaining("link it again with the same buckets");
        assertThatThrownBy(() -> primary.admin().replicateAdd(endpoints, key, null))
                .hasMessageContaining("link it again with the same buckets");
        assertThat(primary.admin().replicateAdd(endpoints, key, null, List.of("linked")).path("linked").asBoolean()).isTrue();
        s3.putObject(r -> r.bucket("linked").key("small-relinked"), RequestBody.fromString("relinked"));
        Awaitility.await("a write after the same link again shown").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> reader.getObjectAsBytes(r -> r.bucket("linked").key("small-relinked")).asUtf8String().equals("relinked"));
    }
}
