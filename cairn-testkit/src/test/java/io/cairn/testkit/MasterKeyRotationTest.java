package io.cairn.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cairn.server.gateway.KeyRingFile;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

/**
 * The SSE master key of a running cluster is rotated as an operator would, on real node
 * processes: a new key added to the key ring of every node (restarted), put first (restarted one
 * by one: a node already restarted wraps with it while the others still wrap with the old one,
 * and each reads what the other wrote), every object's and upload's data key and every user's
 * secret wrapped anew ({@code cairn admin sse rewrap}), and the old key removed: every object
 * still reads back through every node, a user's key still signs, and an upload begun under the
 * old key completes.
 */
@ExtendWith(NodeLogsOnFailure.class)
class MasterKeyRotationTest {

    TestCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void a_master_key_is_rotated_and_removed_with_every_object_and_key_still_readable() throws Exception {
        cluster = TestCluster.start(3);
        Path ring = cluster.dev().dir().resolve("ca").resolve("sse-master.key");
        String a = KeyRingFile.ids(ring).getFirst();
        S3Client s3 = cluster.s3(0);
        s3.createBucket(r -> r.bucket("vault"));
        JsonNode bob = cluster.admin().createUser("bob", false);
        Random random = new Random(7);
        Map<String, byte[]> objects = new LinkedHashMap<>();
        for (String key : List.of("small", "large", "plain")) {
            byte[] body = new byte[key.equals("large") ? 6 << 20 : 1000];
            random.nextBytes(body);
            s3.putObject(r -> r.bucket("vault").key(key).serverSideEncryption(key.equals("plain") ? null : ServerSideEncryption.AES256),
                    RequestBody.fromBytes(body));
            objects.put(key, body);
        }
        byte[] part1 = new byte[5 << 20];
        random.nextBytes(part1);
        String upload = s3.createMultipartUpload(r -> r.bucket("vault").key("mp").serverSideEncryption(ServerSideEncryption.AES256))
                .uploadId();
        String etag1 = s3.uploadPart(r -> r.bucket("vault").key("mp").uploadId(upload).partNumber(1), RequestBody.fromBytes(part1)).eTag();

        JsonNode before = cluster.admin().sseKeys(false);
        assertThat(before.path("current_key").asText()).isEqualTo(a);
        assertThat(before.path("objects").path(a).asLong()).isEqualTo(2);
        assertThat(before.path("uploads").path(a).asLong()).isEqualTo(1);
        long secrets = before.path("secrets").path(a).asLong();
        assertThat(secrets).as("the admin's and bob's secrets, sealed under %s: %s", a, before).isGreaterThanOrEqualTo(2);

        // 1. A new key on every node (one file here, shared by the dev cluster's nodes), known and not used yet.
        String b = KeyRingFile.add(ring);
        restartAll();
        assertThat(cluster.admin().sseKeys(false).path("keys")).extracting(JsonNode::asText).containsExactly(a, b);
        put(1, "while-b-known", objects, random);

        // 2. b first: node 0 wraps with it once restarted, nodes 1 and 2 (not yet restarted) still with a;
        // each reads what the other wrote.
        KeyRingFile.use(ring, b);
        cluster.kill(0);
        cluster.restart(0);
        put(0, "under-b", objects, random);
        put(1, "under-a-after-use", objects, random);
        readEverything(objects);
        cluster.kill(1);
        cluster.restart(1);
        cluster.kill(2);
        cluster.restart(2);
        JsonNode mixed = cluster.admin().sseKeys(false);
        assertThat(mixed.path("current_key").asText()).isEqualTo(b);
        assertThat(mixed.path("objects").path(a).asLong()).as("%s", mixed).isEqualTo(4);
        assertThat(mixed.path("objects").path(b).asLong()).as("%s", mixed).isEqualTo(1);

        // 3. Everything a wraps, wrapped anew by b.
        JsonNode rewrap = cluster.admin().sseKeys(true);
        System.out.println("MasterKeyRotationTest: rewrap " + rewrap);
        assertThat(rewrap.path("rewrapped").asLong()).as("%s", rewrap).isEqualTo(4 + 1 + secrets);
        assertThat(rewrap.path("changed_meanwhile").asLong()).isZero();
        JsonNode after = cluster.admin().sseKeys(false);
        assertThat(after.path("objects").has(a)).as("%s", after).isFalse();
        assertThat(after.path("uploads").has(a)).as("%s", after).isFalse();
        assertThat(after.path("secrets").has(a)).as("%s", after).isFalse();
        assertThat(after.path("objects").path(b).asLong()).isEqualTo(5);

        // 4. a removed from every node: nothing needs it any more.
        KeyRingFile.remove(ring, a);
        restartAll();
        assertThat(cluster.admin().sseKeys(false).path("keys")).extracting(JsonNode::asText).containsExactly(b);
        readEverything(objects);
        try (S3Client asBob = cluster.s3(2, bob.path("access_key").asText(), bob.path("secret_key").asText())) {
            assertThat(asBob.listBuckets().buckets()).as("bob's key, sealed under a, then b, still signs").isEmpty();
        }
        byte[] part2 = new byte[1000];
        random.nextBytes(part2);
        String etag2 = cluster.s3(1).uploadPart(r -> r.bucket("vault").key("mp").uploadId(upload).partNumber(2), RequestBody.fromBytes(part2))
                .eTag();
        s3.completeMultipartUpload(r -> r.bucket("vault").key("mp").uploadId(upload).multipartUpload(CompletedMultipartUpload.builder()
                .parts(CompletedPart.builder().partNumber(1).eTag(etag1).build(), CompletedPart.builder().partNumber(2).eTag(etag2).build())
                .build()));
        byte[] whole = new byte[part1.length + part2.length];
        System.arraycopy(part1, 0, whole, 0, part1.length);
        System.arraycopy(part2, 0, whole, part1.length, part2.length);
        objects.put("mp", whole);
        readEverything(objects);
    }

    private void put(int node, String key, Map<String, byte[]> objects, Random random) {
        byte[] body = new byte[2000];
        random.nextBytes(body);
        cluster.s3(node).putObject(r -> r.bucket("vault").key(key).serverSideEncryption(ServerSideEncryption.AES256), RequestBody.fromBytes(body));
        objects.put(key, body);
    }

    private void readEverything(Map<String, byte[]> objects) {
        for (int i = 0; i < cluster.nodes(); i++) {
            S3Client s3 = cluster.s3(i);
            for (Map.Entry<String, byte[]> e : objects.entrySet()) {
                assertThat(s3.getObjectAsBytes(r -> r.bucket("vault").key(e.getKey())).asByteArray()).as("%s through node %d", e.getKey(), i)
                        .isEqualTo(e.getValue());
            }
        }
    }

    /** Every node stopped hard and started again (all at once: how nodes with different rings get on is step 2's). */
    private void restartAll() throws Exception {
        for (int i = 0; i < cluster.nodes(); i++) {
            cluster.kill(i);
        }
        for (int i = 0; i < cluster.nodes(); i++) {
            cluster.startAgain(i);
        }
        for (int i = 0; i < cluster.nodes(); i++) {
            cluster.awaitUp(i, java.time.Duration.ofMinutes(2));
        }
    }
}
