package io.cairn.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.core.map.BucketInfo;
import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeState;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.map.StoragePolicy;
import io.cairn.core.map.UserInfo;
import io.cairn.meta.MetaClient;
import io.cairn.meta.MetaCommand;
import io.cairn.meta.MetaServer;
import io.cairn.meta.MetaServerConfig;
import io.cairn.node.NodeRuntimeConfig;
import io.cairn.node.StorageNode;
import io.cairn.s3.AdminResponse;
import io.cairn.s3.S3Error;
import io.cairn.s3.S3Exception;
import io.cairn.server.admin.AdminApi;
import io.cairn.store.RocksPartitionStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link BucketCreator} and the bucket resources of {@link AdminApi} against one real node in this
 * process: a meta voter, the cluster map client and a storage node on a real store. Other nodes
 * appear in the map as registered members only (no process behind them): bucket creation never
 * talks to them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BucketCreatorTest {

    private static final String ROOT = "ROOTKEY";
    private static final String ROOT_SECRET = "rootsecret";
    private static final int PARTITIONS = 16;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    private MetaServer metaServer;
    private MetaClient meta;
    private RocksPartitionStore store;
    private StorageNode node;
    private BucketCreator creator;
    private AdminApi admin;

    @BeforeAll
    void startOneNode() throws IOException {
        String raft = "127.0.0.1:" + freePort();
        metaServer = MetaServer.start(new MetaServerConfig("bucket-test", raft, List.of(raft), dir.resolve("meta"), 60_000));
        meta = MetaClient.connect("bucket-test", List.of(raft));
        assertThat(meta.submit(new MetaCommand.Bootstrap("bucket-test",
                List.of(new PoolInfo(BucketCreator.DEFAULT_POOL, StoragePolicy.replicated(3), PARTITIONS)),
                new UserInfo(ROOT, ROOT_SECRET, "root", true))).ok()).isTrue();
        assertThat(meta.submit(new MetaCommand.PutUser(new UserInfo("ALICE", "alicesecret", "alice", false))).ok()).isTrue();
        store = RocksPartitionStore.open(dir.resolve("store"));
        node = StorageNode.start(new NodeRuntimeConfig("n0", "site-a", "zone-0", "127.0.0.1:" + freePort(),
                "127.0.0.1:" + freePort(), raft, 1L << 30, 1_000, 1 << 20, 5_000, 5_000), store, meta, halted::set);
        creator = new BucketCreator(node);
        admin = new AdminApi(node, Clock.fixed(Instant.ofEpochMilli(1_800_000_000_000L), ZoneOffset.UTC), null);
    }

    /** Set if the node's replica stopped on a broken invariant. */
    final java.util.concurrent.atomic.AtomicReference<Throwable> halted = new java.util.concurrent.atomic.AtomicReference<>();

    @AfterAll
    void stop() {
        assertThat(halted.get()).as("the replica stopped on a broken invariant").isNull();
        for (AutoCloseable c : new AutoCloseable[] {node, store, meta, metaServer}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                System.err.println("closing " + c.getClass().getSimpleName() + ": " + e);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private ClusterMap map() {
        return meta.read().map();
    }

    private S3Exception refusal(String bucket, String owner, String policy) {
        try {
            creator.create(bucket, owner, policy, 1L);
        } catch (S3Exception e) {
            return e;
        }
        throw new AssertionError("bucket " + bucket + " with policy " + policy + " was created");
    }

    /** A call whose SigV4 signature by {@code caller} the gateway verified (null: an unsigned call). */
    private AdminResponse call(String method, Map<String, String> query, String caller) throws IOException {
        return admin.handle(caller, method, "/_cairn/buckets", query, Map.of(), new ByteArrayInputStream(new byte[0]));
    }

    private static JsonNode body(AdminResponse r) throws IOException {
        return JSON.readTree(r.body());
    }

    @Test
    @Order(1)
    void withoutPolicyIndexAndDataGoToTheDefaultPool() throws S3Exception {
        BucketInfo b = creator.create("photos", ROOT, null, 42L);
        assertThat(b).isEqualTo(new BucketInfo("photos", "rep3", ROOT, 42L, BucketInfo.INDEX_SHARDS_DEFAULT, null, java.util.List.of(), false,
                null, null, BucketInfo.INDEX_LAYOUT_SPREAD));
        assertThat(map().bucket("photos")).contains(b);
        assertThat(node.mapView().current().map().bucket("photos")).contains(b);
    }

    @Test
    @Order(2)
    void anExistingBucketIsRefusedAsS3Does() {
        long epoch = map().epoch();
        assertThat(refusal("photos", ROOT, null).error()).isEqualTo(S3Error.BucketAlreadyOwnedByYou);
        assertThat(refusal("photos", "ALICE", "rep3").error()).isEqualTo(S3Error.BucketAlreadyExists);
        assertThat(refusal("Bad_Name", ROOT, null).error()).isEqualTo(S3Error.InvalidBucketName);
        assertThat(map().epoch()).isEqualTo(epoch);
    }

    /**
     * A create whose first attempt applied but whose answer was lost (a closed stream to the meta
     * leader) is retried; the retry finds the bucket it proposed and succeeds, where another
     * request's bucket of the same name is still refused.
     */
    @Test
    @Order(2)
    void aCreateWhoseFirstAttemptAppliedSucceedsOnItsRetry() throws S3Exception {
        BucketInfo proposed = new BucketInfo("retried", "rep3", ROOT, 77L, BucketInfo.INDEX_SHARDS_DEFAULT, null, java.util.List.of(), false,
                null, null, BucketInfo.INDEX_LAYOUT_SPREAD);
        assertThat(meta.submit(new MetaCommand.CreateBucket(proposed, 1000)).ok()).as("the first attempt, its answer lost").isTrue();
        assertThat(creator.create("retried", ROOT, null, 77L)).isEqualTo(proposed);
        assertThat(refusal("retried", ROOT, null).error()).as("another request").isEqualTo(S3Error.BucketAlreadyOwnedByYou);
        assertThat(meta.submit(new MetaCommand.DeleteBucket("retried")).ok()).isTrue();
    }

    @Test
    @Order(3)
    void aPolicyWiderThanTheClusterChangesNothing() {
        ClusterMap before = map();
        S3Exception e = refusal("archive", ROOT, "ec2+1");
        assertThat(e.error()).isEqualTo(S3Error.InvalidArgument);
        assertThat(e.getMessage()).contains("at least 3 nodes").contains("the cluster has 1 node in");
        assertThat(refusal("archive", ROOT, "raid5").getMessage()).contains("'raid5'").contains("ecK+M");
        assertThat(map()).isEqualTo(before);
    }

    @Test
    @Order(4)
    void anErasureCodedPolicyCreatesItsPoolOnceAndKeepsTheIndexReplicated() throws S3Exception {
        for (String id : List.of("n1", "n2")) {
            assertThat(meta.submit(new MetaCommand.RegisterNode(new NodeInfo(id, "site-a", "zone-" + id, "127.0.0.1:1",
                    "127.0.0.1:1", null, 1L << 30, NodeState.UP, true))).ok()).isTrue();
        }
        BucketInfo archive = creator.create("archive", ROOT, "EC2+1", 7L);
        assertThat(archive.pool()).isEqualTo("rep3");
        assertThat(archive.dataPool()).isEqualTo("ec2+1");
        ClusterMap after = map();
        assertThat(after.pool("ec2+1")).contains(new PoolInfo("ec2+1", StoragePolicy.erasureCoded(2, 1), PARTITIONS));
        assertThat(after.bucket("archive")).contains(archive);

        BucketInfo logs = creator.create("logs", "ALICE", "ec2+1", 8L);
        assertThat(logs.dataPoolName()).isEqualTo("ec2+1");
        assertThat(map().epoch()).as("only the bucket is new").isEqualTo(after.epoch() + 1);
        assertThat(map().pools()).extracting(PoolInfo::name).containsExactly("ec2+1", "rep3");
    }

    @Test
    @Order(5)
    void theAdminApiCreatesAndListsBuckets() throws IOException {
        AdminResponse created = call("POST", Map.of("name", "media", "policy", "rep2"), ROOT);
        assertThat(created.status()).as(new String(created.body())).isEqualTo(200);
        JsonNode b = body(created);
        assertThat(b.path("name").asText()).isEqualTo("media");
        assertThat(b.path("policy").asText()).isEqualTo("rep2");
        assertThat(b.path("index_pool").asText()).isEqualTo("rep3");
        assertThat(b.path("data_pool").asText()).isEqualTo("rep2");
        assertThat(b.path("owner").asText()).as("the owner is the calling admin's user").isEqualTo("root");
        assertThat(b.path("created_millis").asLong()).isEqualTo(1_800_000_000_000L);

        AdminResponse forAlice = call("POST", Map.of("name", "alices", "owner", "ALICE"), ROOT);
        assertThat(body(forAlice).path("owner").asText()).as("an owner given by access key is its user").isEqualTo("alice");
        assertThat(body(forAlice).path("policy").asText()).isEqualTo("rep3");

        AdminResponse again = call("POST", Map.of("name", "media"), ROOT);
        assertThat(again.status()).isEqualTo(409);
        assertThat(body(again).path("code").asText()).isEqualTo("BucketAlreadyOwnedByYou");

        AdminResponse badPolicy = call("POST", Map.of("name", "other", "policy", "ec9"), ROOT);
        assertThat(badPolicy.status()).isEqualTo(400);
        assertThat(body(badPolicy).path("error").asText()).contains("'ec9'");

        AdminResponse noOwner = call("POST", Map.of("name", "other", "owner", "GHOST"), ROOT);
        assertThat(noOwner.status()).isEqualTo(400);
        assertThat(body(noOwner).path("error").asText()).contains("GHOST");

        assertThat(call("POST", Map.of(), ROOT).status()).isEqualTo(400);
        assertThat(call("POST", Map.of("name", "sneaky"), null).status()).isEqualTo(403);
        assertThat(call("POST", Map.of("name", "sneaky"), "ALICE").status()).isEqualTo(403);
        assertThat(call("DELETE", Map.of("name", "media"), ROOT).status()).isEqualTo(405);
        assertThat(map().bucket("other")).isEmpty();
        assertThat(map().bucket("sneaky")).isEmpty();

        AdminResponse list = call("GET", Map.of(), ROOT);
        assertThat(list.status()).isEqualTo(200);
        JsonNode buckets = body(list).path("buckets");
        assertThat(buckets).extracting(n -> n.path("name").asText() + " " + n.path("policy").asText())
                .containsExactly("alices rep3", "archive ec2+1", "logs ec2+1", "media rep2", "photos rep3");
    }
}
