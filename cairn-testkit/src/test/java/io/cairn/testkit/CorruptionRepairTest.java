package io.cairn.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.TestMethodOrder;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * Three real node processes: a byte of a stored blob is flipped in its segment file while the
 * node runs. When the damaged copy is the partition primary's, an S3 GET through it still returns
 * the right bytes (fetched from another holder) and the primary's copy is rewritten; when it is
 * another holder's, that holder's own debug read reports the damage, S3 keeps serving the object
 * through every node, and the holder's copy is rewritten once a GET through it has read it.
 */
@ExtendWith(NodeLogsOnFailure.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CorruptionRepairTest {

    static final String BUCKET = "corruption";
    static final String SMALL_KEY = "small/inline";
    static final int SMALL_SIZE = 100 * 1024;
    static final String LARGE_KEY = "large/chunked";
    static final long LARGE_SIZE = 10L << 20;

    static TestCluster cluster;
    static long seed;

    @BeforeAll
    static void start() throws Exception {
        seed = Long.getLong("cairn.seed", System.nanoTime());
        System.out.println("CorruptionRepairTest seed=" + seed
                + " (reproduce: ./mvnw -pl cairn-testkit test -Dtest=CorruptionRepairTest -Dcairn.seed=" + seed + ")");
        long t0 = System.nanoTime();
        cluster = TestCluster.start(3);
        System.out.printf("3-node cluster ready in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        var s3 = cluster.s3(0);
        s3.createBucket(b -> b.bucket(BUCKET));
        s3.putObject(b -> b.bucket(BUCKET).key(SMALL_KEY), RequestBody.fromBytes(smallData()));
        s3.putObject(b -> b.bucket(BUCKET).key(LARGE_KEY),
                RequestBody.fromInputStream(ObjectData.stream(largeSeed(), LARGE_SIZE), LARGE_SIZE));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    static byte[] smallData() {
        return ObjectData.bytes(seed, SMALL_SIZE);
    }

    static long largeSeed() {
        return seed * 31 + 1;
    }

    static byte[] largeSlice(long offset, int size) throws IOException {
        try (var in = ObjectData.stream(largeSeed(), LARGE_SIZE)) {
            in.skipNBytes(offset);
            return in.readNBytes(size);
        }
    }

    @Test
    @Order(1)
    void primaryCopyOfAnInlineObjectIsServedFromAPeerAndRepaired() throws Exception {
        JsonNode any = cluster.admin().localObject(cluster.endpoint(0), BUCKET, SMALL_KEY);
        String primaryId = any.path("index_holders").get(0).asText();
        int primary = cluster.nodeIndex(primaryId);
        String endpoint = cluster.endpoint(primary);
        JsonNode local = cluster.admin().localObject(endpoint, BUCKET, SMALL_KEY);
        assertThat(local.path("index").path("inline").asBoolean()).as("object of %d bytes is inline", SMALL_SIZE).isTrue();
        JsonNode at = local.path("index").path("location");
        assertThat(at.path("data_bytes").asLong()).isEqualTo(SMALL_SIZE);
        System.out.printf("inline object: index partition %s, holders %s, primary node %d (%s), blob at %s%n",
                local.path("index_partition").asText(), local.path("index_holders"), primary, primaryId, at);

        flipByte(at, SMALL_SIZE / 2);
        assertThatThrownBy(() -> cluster.admin().localInline(endpoint, BUCKET, SMALL_KEY))
                .as("the primary's own copy reads as corrupt after the flip")
                .hasMessageContaining("HTTP 500").hasMessageContaining("corrupt");

        int gateway = (primary + 1) % cluster.nodes();
        byte[] got = cluster.s3(gateway).getObjectAsBytes(b -> b.bucket(BUCKET).key(SMALL_KEY)).asByteArray();
        assertThat(Arrays.equals(got, smallData())).as("S3 GET via node %d returns the right bytes", gateway).isTrue();

        assertThat(Arrays.equals(cluster.admin().localInline(endpoint, BUCKET, SMALL_KEY), smallData()))
                .as("the primary's own copy is good again").isTrue();
        JsonNode after = cluster.admin().localObject(endpoint, BUCKET, SMALL_KEY).path("index").path("location");
        System.out.printf("inline object repaired on node %d; blob now at %s%n", primary, after);
    }

    @Test
    @Order(2)
    void primaryCopyOfAChunkIsServedFromAPeerAndRepaired() throws Exception {
        int chunkIndex = 1;
        JsonNode chunk = cluster.admin().localObject(cluster.endpoint(0), BUCKET, LARGE_KEY).path("chunks").get(chunkIndex);
        String primaryId = chunk.path("holders").get(0).asText();
        int primary = cluster.nodeIndex(primaryId);
        String endpoint = cluster.endpoint(primary);
        JsonNode own = cluster.admin().localObject(endpoint, BUCKET, LARGE_KEY).path("chunks").get(chunkIndex);
        assertThat(own.path("local").asBoolean()).isTrue();
        JsonNode at = own.path("location");
        int size = own.path("size").asInt();
        long offset = own.path("offset").asLong();
        assertThat(at.path("data_bytes").asLong()).isEqualTo(size);
        System.out.printf("chunk %d of %s (%d bytes at object offset %d): partition %s, holders %s, primary node %d (%s), blob at %s%n",
                chunkIndex, LARGE_KEY, size, offset, own.path("partition").asText(), own.path("holders"), primary, primaryId, at);

        flipByte(at, size - 1);
        assertThatThrownBy(() -> cluster.admin().localChunk(endpoint, BUCKET, LARGE_KEY, chunkIndex))
                .as("the primary's own copy reads as corrupt after the flip")
                .hasMessageContaining("HTTP 500").hasMessageContaining("corrupt");

        // Through the primary's own gateway: a gateway on another holder would read its own good copy.
        int gateway = primary;
        assertWholeLargeObject(gateway);

        byte[] repaired = cluster.admin().localChunk(endpoint, BUCKET, LARGE_KEY, chunkIndex);
        assertThat(Arrays.equals(repaired, largeSlice(offset, size))).as("the primary's own copy is good again").isTrue();
        JsonNode after = cluster.admin().localObject(endpoint, BUCKET, LARGE_KEY).path("chunks").get(chunkIndex).path("location");
        System.out.printf("chunk %d repaired on node %d; blob now at %s%n", chunkIndex, primary, after);
    }

    @Test
    @Order(3)
    void corruptCopyOnAnotherHolderIsReportedServedAroundAndRepaired() throws Exception {
        int chunkIndex = 0;
        JsonNode chunk = cluster.admin().localObject(cluster.endpoint(0), BUCKET, LARGE_KEY).path("chunks").get(chunkIndex);
        assertThat(chunk.path("holders").size()).as("holders of chunk %d", chunkIndex).isGreaterThanOrEqualTo(2);
        String primaryId = chunk.path("holders").get(0).asText();
        String mirrorId = chunk.path("holders").get(1).asText();
        int mirror = cluster.nodeIndex(mirrorId);
        String endpoint = cluster.endpoint(mirror);
        JsonNode own = cluster.admin().localObject(endpoint, BUCKET, LARGE_KEY).path("chunks").get(chunkIndex);
        JsonNode at = own.path("location");
        int size = own.path("size").asInt();
        System.out.printf("chunk %d of %s: primary %s, damaging the copy of holder node %d (%s) at %s%n",
                chunkIndex, LARGE_KEY, primaryId, mirror, mirrorId, at);

        flipByte(at, 12_345);
        assertThatThrownBy(() -> cluster.admin().localChunk(endpoint, BUCKET, LARGE_KEY, chunkIndex))
                .as("a direct debug read of the damaged copy reports it")
                .hasMessageContaining("HTTP 500").hasMessageContaining("corrupt");

        for (int gateway = 0; gateway < cluster.nodes(); gateway++) {
            assertWholeLargeObject(gateway);
        }
        // The damaged holder's own gateway read its copy first, found it bad, read the chunk
        // elsewhere and sent the good bytes back.
        assertThat(Arrays.equals(cluster.admin().localChunk(endpoint, BUCKET, LARGE_KEY, chunkIndex), largeSlice(0, size)))
                .as("holder node %d's copy of chunk %d is good again", mirror, chunkIndex).isTrue();
        int primary = cluster.nodeIndex(primaryId);
        assertThat(Arrays.equals(cluster.admin().localChunk(cluster.endpoint(primary), BUCKET, LARGE_KEY, chunkIndex),
                largeSlice(0, size))).as("the primary's copy of chunk %d is untouched", chunkIndex).isTrue();
    }

    /** Flips every bit of the byte at {@code dataIndex} of the blob described by {@code location}. */
    static void flipByte(JsonNode location, long dataIndex) throws IOException {
        Path file = Path.of(location.path("segment_file").asText());
        long dataOffset = location.path("data_offset").asLong();
        long dataBytes = location.path("data_bytes").asLong();
        assertThat(Files.isRegularFile(file)).as("segment file %s", file).isTrue();
        assertThat(dataIndex).isBetween(0L, dataBytes - 1);
        long position = dataOffset + dataIndex;
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            assertThat(f.length()).as("length of %s", file).isGreaterThan(position);
            f.seek(position);
            int before = f.read();
            f.seek(position);
            f.write(before ^ 0xff);
            f.getFD().sync();
            System.out.printf("flipped byte %d of %s: 0x%02x -> 0x%02x%n", position, file.getFileName(), before, before ^ 0xff);
        }
    }

    static void assertWholeLargeObject(int gateway) throws Exception {
        try (ResponseInputStream<GetObjectResponse> in = cluster.s3(gateway).getObject(b -> b.bucket(BUCKET).key(LARGE_KEY))) {
            assertThat(in.response().contentLength()).isEqualTo(LARGE_SIZE);
            assertThat(ObjectData.sha256(in)).as("S3 GET of %s via node %d", LARGE_KEY, gateway)
                    .isEqualTo(ObjectData.sha256(ObjectData.stream(largeSeed(), LARGE_SIZE)));
        }
    }
}
