package io.cairn.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.cairn.server.dev.DevCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.TestMethodOrder;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * One real node whose data directory is a small tmpfs mounted by the test: it is written until
 * PUTs are refused with {@code 507 InsufficientStorage} (nothing of a refused PUT becomes
 * visible), the status shows the node {@code full}, reads and deletes go on, and once deletes
 * and compaction have freed segment space, writes resume and {@code full} goes back to false.
 * Mounting needs root; without it the test is skipped, or fails when {@code CI} is set.
 */
@ExtendWith(NodeLogsOnFailure.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DiskFullTest {

    static final String BUCKET = "full";
    static final long FILE_SYSTEM_BYTES = 128L << 20;
    static final long RESERVE_BYTES = 32L << 20;
    static final long SEGMENT_BYTES_MAX = 8L << 20;
    static final long COMPACTION_INTERVAL_MILLIS = 500;
    /** Object sizes written in turn, each until refused, so that the room left ends under the full margin. */
    static final int[] FILL_SIZES = {4 << 20, 256 << 10, 32 << 10};
    static final int PUTS_PER_SIZE_MAX = 200;
    static final Duration STATUS_TIMEOUT = Duration.ofSeconds(30);

    static Path mount;
    static TestCluster cluster;
    static S3Client s3;
    static long seed;
    /** key -> {size, content seed} of every acknowledged object, in write order. */
    static final Map<String, long[]> written = new LinkedHashMap<>();

    @BeforeAll
    static void start() throws Exception {
        seed = Long.getLong("cairn.seed", System.nanoTime());
        System.out.println("DiskFullTest seed=" + seed
                + " (reproduce: ./mvnw -pl cairn-testkit test -Dtest=DiskFullTest -Dcairn.seed=" + seed + ")");
        mount = Files.createTempDirectory("cairn-small-fs-");
        Optional<String> failure = run("mount", "-t", "tmpfs", "-o", "size=" + FILE_SYSTEM_BYTES, "tmpfs", mount.toString());
        if (failure.isPresent()) {
            Files.deleteIfExists(mount);
            String why = "cannot mount a " + (FILE_SYSTEM_BYTES >> 20) + " MiB tmpfs for the disk-full test (run as root): "
                    + failure.get();
            mount = null;
            if (System.getenv("CI") != null) {
                fail(why);
            }
            Assumptions.abort(why);
        }
        System.out.printf("mounted a %d MiB tmpfs; reserve %d MiB, segments of %d MiB, compaction every %d ms%n",
                FILE_SYSTEM_BYTES >> 20, RESERVE_BYTES >> 20, SEGMENT_BYTES_MAX >> 20, COMPACTION_INTERVAL_MILLIS);
        long t0 = System.nanoTime();
        cluster = TestCluster.start(1, 500, 3000, 0, Map.of(0, new DevCluster.NodeSettings(
                mount.resolve("node-0").toString(), RESERVE_BYTES, 0.0, SEGMENT_BYTES_MAX, COMPACTION_INTERVAL_MILLIS)));
        System.out.printf("1-node cluster ready in %.1f s; %s; %s%n", (System.nanoTime() - t0) / 1e9, space(), usage());
        s3 = cluster.s3(0);
        s3.createBucket(b -> b.bucket(BUCKET));
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        if (mount != null) {
            Optional<String> failure = run("umount", mount.toString());
            if (failure.isPresent()) {
                System.out.println("could not unmount " + mount + ": " + failure.get());
            } else {
                Files.deleteIfExists(mount);
            }
        }
    }

    /** Runs a command; empty when it succeeded, else what went wrong. */
    static Optional<String> run(String... command) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return Optional.of(String.join(" ", command) + " did not finish in 30 s");
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.exitValue() == 0 ? Optional.empty()
                    : Optional.of(String.join(" ", command) + " exited with " + p.exitValue() + ": " + out);
        } catch (IOException e) {
            return Optional.of(String.join(" ", command) + " could not run: " + e.getMessage());
        }
    }

    static String space() throws IOException {
        var store = Files.getFileStore(mount);
        return String.format("file system: %.1f MiB of %.1f MiB free", store.getUsableSpace() / 1048576.0,
                store.getTotalSpace() / 1048576.0);
    }

    /** Space allocated under the node's data directory, two levels deep, as {@code du} sees it (preallocation included). */
    static String usage() throws Exception {
        Process p = new ProcessBuilder("du", "-k", "-d", "2", mount.resolve("node-0").toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            return "du failed: " + out.trim();
        }
        StringBuilder b = new StringBuilder("allocated:");
        for (String line : out.strip().split("\n")) {
            String[] f = line.split("\t", 2);
            b.append(String.format(" %s=%.1fMiB", mount.resolve("node-0").relativize(Path.of(f[1])), Long.parseLong(f[0]) / 1024.0));
        }
        return b.toString();
    }

    static JsonNode nodeStatus() throws IOException {
        return cluster.nodeStatus(0);
    }

    static void put(String key, long size, long contentSeed) {
        if (size <= (1 << 20)) {
            s3.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromBytes(ObjectData.bytes(contentSeed, (int) size)));
        } else {
            // A provider, not a stream: the gateway may answer 507 and close before it has read the whole
            // body, and the SDK then resends it.
            s3.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromContentProvider(
                    () -> ObjectData.stream(contentSeed, size), size, "application/octet-stream"));
        }
    }

    static void assertInsufficientStorage(S3Exception e, String what) {
        assertThat(e.statusCode()).as("%s refused with status", what).isEqualTo(507);
        assertThat(e.awsErrorDetails().errorCode()).as("%s refused with error code", what).isEqualTo("InsufficientStorage");
        assertThat(e.awsErrorDetails().errorMessage()).as("%s refusal message", what).containsIgnoringCase("full");
    }

    static void assertReadable(String key) throws Exception {
        long[] meta = written.get(key);
        try (ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket(BUCKET).key(key))) {
            assertThat(in.response().contentLength()).as(key).isEqualTo(meta[0]);
            assertThat(ObjectData.sha256(in)).as("content of %s", key).isEqualTo(ObjectData.sha256(ObjectData.stream(meta[1], meta[0])));
        }
    }

    static void assertInvisible(String key) {
        assertThatThrownBy(() -> s3.headObject(b -> b.bucket(BUCKET).key(key)))
                .as("a refused PUT of %s leaves nothing visible", key)
                .isInstanceOf(S3Exception.class)
                .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(404));
    }

    static List<String> listAll() {
        List<String> keys = new ArrayList<>();
        s3.listObjectsV2Paginator(b -> b.bucket(BUCKET)).contents().forEach(o -> keys.add(o.key()));
        return keys;
    }

    @Test
    @Order(1)
    void writesAreRefusedCleanlyWhenTheDiskIsFull() throws Exception {
        assertThat(nodeStatus().path("full").asBoolean()).as("full before any write").isFalse();
        long t0 = System.nanoTime();
        long bytes = 0;
        for (int size : FILL_SIZES) {
            int accepted = 0;
            S3Exception refused = null;
            String refusedKey = null;
            for (int n = 0; n < PUTS_PER_SIZE_MAX && refused == null; n++) {
                String key = "fill/" + size + "/" + n;
                long contentSeed = seed + written.size();
                try {
                    put(key, size, contentSeed);
                    written.put(key, new long[] {size, contentSeed});
                    accepted++;
                    bytes += size;
                } catch (S3Exception e) {
                    refused = e;
                    refusedKey = key;
                }
            }
            assertThat(refused).as("a PUT of %d bytes is refused within %d PUTs", size, PUTS_PER_SIZE_MAX).isNotNull();
            assertInsufficientStorage(refused, "PUT of " + size + " bytes");
            assertInvisible(refusedKey);
            System.out.printf("objects of %d bytes: %d accepted, then refused: HTTP %d %s '%s'; %s%n", size, accepted,
                    refused.statusCode(), refused.awsErrorDetails().errorCode(), refused.awsErrorDetails().errorMessage(), space());
        }
        System.out.printf("wrote %d objects, %.1f MiB, in %.1f s until full%n", written.size(), bytes / 1048576.0,
                (System.nanoTime() - t0) / 1e9);

        // A large object of several chunks and an overwrite are refused too, and leave nothing behind.
        String big = "refused/multi-chunk";
        long bigSize = 12L << 20;
        assertThatThrownBy(() -> put(big, bigSize, seed - 1)).isInstanceOfSatisfying(S3Exception.class,
                e -> assertInsufficientStorage(e, "PUT of 12 MiB"));
        assertInvisible(big);
        String first = written.keySet().iterator().next();
        assertThatThrownBy(() -> put(first, 1 << 20, seed - 2)).isInstanceOfSatisfying(S3Exception.class,
                e -> assertInsufficientStorage(e, "overwrite of " + first));
        assertReadable(first);
        assertThat(listAll()).as("the listing holds exactly the acknowledged objects").containsExactlyInAnyOrderElementsOf(written.keySet());
    }

    @Test
    @Order(2)
    void statusShowsTheNodeFullAndReadsGoOn() throws Exception {
        long t0 = System.nanoTime();
        Awaitility.await().atMost(STATUS_TIMEOUT).pollInterval(Duration.ofMillis(200))
                .until(() -> nodeStatus().path("full").asBoolean());
        JsonNode node = nodeStatus();
        System.out.printf("status shows the node full %.1f s after the last refusal: used %d bytes of %d, capacity usable %s%n",
                (System.nanoTime() - t0) / 1e9, node.path("used_bytes").asLong(), node.path("capacity_bytes").asLong(),
                cluster.admin().status().path("capacity"));
        assertThat(node.path("state").asText()).isEqualTo("up");

        for (String key : written.keySet()) {
            assertReadable(key);
        }
        System.out.printf("read back all %d objects while full%n", written.size());
    }

    @Test
    @Order(3)
    void deletesFreeSpaceAndWritesResume() throws Exception {
        List<String> large = written.keySet().stream().filter(k -> written.get(k)[0] >= (1 << 20)).toList();
        assertThat(large).isNotEmpty();
        for (String key : large) {
            s3.deleteObject(b -> b.bucket(BUCKET).key(key));
        }
        large.forEach(written::remove);
        System.out.printf("deleted %d objects of 4 MiB while full; %s%n", large.size(), space());
        for (String key : large) {
            assertThatThrownBy(() -> s3.headObject(b -> b.bucket(BUCKET).key(key))).isInstanceOf(NoSuchKeyException.class);
        }

        long t0 = System.nanoTime();
        long size = 4L << 20;
        // Writes resume once compaction has given back the deleted segments: the node says it
        // is no longer full, and there is room above the reserve for the next object.
        Awaitility.await().atMost(STATUS_TIMEOUT).pollInterval(Duration.ofMillis(200))
                .until(() -> !nodeStatus().path("full").asBoolean()
                        && Files.getFileStore(mount).getUsableSpace() >= RESERVE_BYTES + 2 * size);
        System.out.printf("status shows the node not full %.1f s after the deletes (compaction freed the segments); %s%n",
                (System.nanoTime() - t0) / 1e9, space());

        String again = "after-delete/big";
        put(again, size, seed + 1_000_000);
        written.put(again, new long[] {size, seed + 1_000_000});
        String small = "after-delete/small";
        put(small, 64 << 10, seed + 1_000_001);
        written.put(small, new long[] {64 << 10, seed + 1_000_001});
        for (String key : written.keySet()) {
            assertReadable(key);
        }
        assertThat(listAll()).containsExactlyInAnyOrderElementsOf(written.keySet());
        System.out.printf("writes resumed: %d objects readable; %s%n", written.size(), space());
    }
}
