package io.cairn.meta;

import static io.cairn.meta.MetaFixtures.bootstrap;
import static io.cairn.meta.MetaFixtures.bucket;
import static io.cairn.meta.MetaFixtures.node;
import static io.cairn.meta.MetaFixtures.stats;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.core.map.NodeState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.retry.RetryPolicies;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real Ratis groups on 127.0.0.1 inside the test JVM. */
class MetaClusterTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path tempDir;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private static List<String> freeAddresses(int count) {
        List<ServerSocket> sockets = new ArrayList<>();
        List<String> addresses = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                sockets.add(socket);
                addresses.add("127.0.0.1:" + socket.getLocalPort());
            }
            for (ServerSocket socket : sockets) {
                socket.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return addresses;
    }

    private MetaServer start(MetaServerConfig config) {
        MetaServer server = MetaServer.start(config);
        toClose.add(server);
        return server;
    }

    private MetaClient connect(String cluster, List<String> addresses) {
        MetaClient client = MetaClient.connect(cluster, addresses);
        toClose.add(client);
        return client;
    }

    private static MetaServer awaitLeader(List<MetaServer> servers) {
        MetaServer[] leader = new MetaServer[1];
        Eventually.await("a meta leader", WAIT, () -> {
            for (MetaServer s : servers) {
                if (s.isLeader()) {
                    leader[0] = s;
                    return true;
                }
            }
            return false;
        });
        return leader[0];
    }

    /** Submits {@code count} commands from a few threads, so the log batches them; all must succeed. */
    private static void submitConcurrently(MetaClient client, int count, IntFunction<MetaCommand> command) {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<MetaResult>> results = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int n = i;
                results.add(pool.submit(() -> client.submit(command.apply(n))));
            }
            for (Future<MetaResult> result : results) {
                assertThat(result.get().ok()).isTrue();
            }
        } catch (InterruptedException | ExecutionException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void threeVotersSurviveLosingTheLeaderAndTheLostOneCatchesUp() {
        List<String> voters = freeAddresses(3);
        List<MetaServer> servers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            servers.add(start(new MetaServerConfig("test", voters.get(i), voters, tempDir.resolve("v" + i), 60_000)));
        }
        MetaClient client = connect("test", List.of(voters.get(2)));
        assertThat(client.voterAddresses()).containsExactlyInAnyOrderElementsOf(voters);

        assertThat(client.submit(bootstrap())).isEqualTo(MetaResult.success(1));
        assertThat(client.submit(bootstrap())).isEqualTo(MetaResult.success(1));
        assertThat(client.submit(new MetaCommand.RegisterNode(node("n1"))).ok()).isTrue();
        assertThat(client.submit(new MetaCommand.RegisterNode(node("n2"))).ok()).isTrue();
        assertThat(client.submit(new MetaCommand.CreateBucket(bucket("photos", "default", "ROOTKEY")))).isEqualTo(MetaResult.success(4));
        assertThat(client.submit(new MetaCommand.CreateBucket(bucket("photos", "default", "OTHER"))))
                .isEqualTo(MetaResult.failure(MetaResult.BUCKET_ALREADY_EXISTS, 4));
        assertThat(client.submit(new MetaCommand.Heartbeat(stats("n1", 11)))).isEqualTo(MetaResult.success(4));

        MetaState state = client.read();
        assertThat(state.map().epoch()).isEqualTo(4);
        assertThat(state.map().nodes()).extracting(n -> n.id()).containsExactly("n1", "n2");
        assertThat(state.map().bucket("photos")).isPresent();
        assertThat(state.stats().get("n1").usedBytes()).isEqualTo(11);

        MetaServer leader = awaitLeader(servers);
        int leaderIndex = servers.indexOf(leader);
        MetaServerConfig leaderConfig = leader.config();
        leader.close();
        List<MetaServer> survivors = new ArrayList<>(servers);
        survivors.remove(leader);
        MetaServer newLeader = awaitLeader(survivors);
        assertThat(newLeader).isNotSameAs(leader);

        assertThat(client.submit(new MetaCommand.CreateBucket(bucket("videos", "default", "ROOTKEY", "cold")))).isEqualTo(MetaResult.success(5));
        assertThat(client.submit(new MetaCommand.DeleteBucket("photos"))).isEqualTo(MetaResult.success(6));
        MetaState afterFailover = client.read();
        assertThat(afterFailover.map().buckets()).extracting(b -> b.name()).containsExactly("videos");

        MetaServer restarted = start(leaderConfig);
        servers.set(leaderIndex, restarted);
        Eventually.await("the restarted voter to catch up", WAIT, () -> restarted.localState().equals(afterFailover));
        assertThat(client.read()).isEqualTo(afterFailover);
    }

    @Test
    void aVoterThatMissedSnapshottedEntriesCatchesUp() {
        List<String> voters = freeAddresses(3);
        List<MetaServer> servers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            servers.add(start(new MetaServerConfig("lag", voters.get(i), voters, tempDir.resolve("l" + i), 60_000, 10)));
        }
        MetaClient client = connect("lag", voters);
        client.submit(bootstrap());
        client.submit(new MetaCommand.RegisterNode(node("n1")));
        MetaServer leader = awaitLeader(servers);
        MetaServer follower = servers.stream().filter(s -> s != leader).findFirst().orElseThrow();
        MetaServerConfig followerConfig = follower.config();
        follower.close();

        submitConcurrently(client, 200, i -> new MetaCommand.Heartbeat(stats("n1", i)));
        client.submit(new MetaCommand.CreateBucket(bucket("late", "default", "ROOTKEY")));
        MetaState expected = client.read();
        Eventually.await("the leader to snapshot", WAIT, () -> leader.latestSnapshotIndex() > 150);

        MetaServer restarted = start(followerConfig);
        Eventually.await("the lagging voter to catch up", WAIT, () -> restarted.localState().equals(expected));
    }

    @Test
    void singleVoterSnapshotsAndRestartsFromTheSnapshot() throws Exception {
        String address = freeAddresses(1).getFirst();
        MetaServerConfig config = new MetaServerConfig("solo", address, List.of(address), tempDir.resolve("solo"), 60_000, 5);
        MetaServer server = start(config);
        MetaClient client = connect("solo", List.of(address));

        client.submit(bootstrap());
        assertMalformedRequestsAreRefused("solo", address, client);
        // The backup's mark and target alone, as the whole state has them.
        assertThat(client.readBackupTarget()).isNull();
        assertThat(client.readBackupMark()).isEqualTo(BackupMark.NONE);
        BackupTarget target = new BackupTarget(List.of("http://127.0.0.1:9500"), "AK:SK", null);
        assertThat(client.submit(new MetaCommand.SetBackupTarget(target)).ok()).isTrue();
        assertThat(client.readBackupTarget()).isEqualTo(target).isEqualTo(client.read().backupTarget());
        assertThat(client.readBackupMark()).isEqualTo(client.read().backupMark());
        client.submit(new MetaCommand.RegisterNode(node("n1")));
        client.submit(new MetaCommand.CreateBucket(bucket("photos", "default", "ROOTKEY")));
        for (int i = 0; i < 30; i++) {
            assertThat(client.submit(new MetaCommand.Heartbeat(stats("n1", i))).ok()).isTrue();
        }
        MetaState before = client.read();
        assertThat(before.stats().get("n1").usedBytes()).isEqualTo(29);
        Eventually.await("a snapshot", WAIT, () -> server.latestSnapshotIndex() > 20);
        assertThat(server.isLeader()).isTrue();
        Path smDir = config.storageDir().resolve(MetaGroup.groupId("solo").getUuid().toString()).resolve("sm");
        try (Stream<Path> files = Files.list(smDir)) {
            assertThat(files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("snapshot.") && !n.endsWith(".md5")))
                    .as("old snapshots are cleaned up")
                    .hasSizeBetween(1, MetaServer.SNAPSHOTS_KEPT);
        }

        server.close();
        MetaServer restarted = start(config);
        assertThat(restarted.latestSnapshotIndex()).isPositive();
        assertThat(client.read()).isEqualTo(before);
        assertThat(restarted.localState()).isEqualTo(before);
        assertThat(client.submit(new MetaCommand.DeleteBucket("photos"))).isEqualTo(MetaResult.success(before.map().epoch() + 1));
    }

    @Test
    void leaderMarksSilentNodesDownAndAHeartbeatBringsThemBack() {
        String address = freeAddresses(1).getFirst();
        start(new MetaServerConfig("detect", address, List.of(address), tempDir.resolve("d"), 1_000));
        MetaClient client = connect("detect", List.of(address));
        client.submit(bootstrap());
        client.submit(new MetaCommand.RegisterNode(node("n1")));

        Eventually.await("n1 marked down", WAIT,
                () -> client.read().map().node("n1").orElseThrow().state() == NodeState.DOWN);
        long downEpoch = client.read().map().epoch();

        assertThat(client.submit(new MetaCommand.Heartbeat(stats("n1", 1)))).isEqualTo(MetaResult.success(downEpoch + 1));
        assertThat(client.read().map().node("n1").orElseThrow().isUp()).isTrue();
    }

    /** Bypasses MetaClient's own checks: the voter must refuse undecodable commands and unknown queries. */
    private static void assertMalformedRequestsAreRefused(String cluster, String address, MetaClient client) throws IOException {
        MetaState before = client.read();
        try (RaftClient raw = RaftClient.newBuilder()
                .setProperties(new RaftProperties())
                .setRaftGroup(MetaGroup.group(cluster, List.of(address)))
                .setRetryPolicy(RetryPolicies.noRetry())
                .build()) {
            assertThatThrownBy(() -> raw.io().send(Message.valueOf("{\"type\":\"Explode\"}")))
                    .isInstanceOf(IOException.class).hasMessageContaining("refused meta command");
            assertThatThrownBy(() -> raw.io().sendReadOnly(Message.valueOf("everything")))
                    .isInstanceOf(IOException.class).hasMessageContaining("unknown meta query");
        }
        assertThat(client.read()).isEqualTo(before);
    }

    @Test
    void clientWithoutAReachableGroupSaysSo() {
        List<String> nobody = freeAddresses(1);
        try (MetaClient client = MetaClient.forGroup(MetaGroup.group("gone", nobody), 2, null)) {
            assertThatThrownBy(() -> client.submit(new MetaCommand.MarkDown("n1"))).isInstanceOf(MetaUnavailableException.class);
            assertThatThrownBy(client::read).isInstanceOf(MetaUnavailableException.class);
        }
    }

    @Test
    void connectingToNoVoterFailsWithMetaUnavailable() {
        assertThatThrownBy(() -> MetaClient.connect("gone", freeAddresses(2), 1_000))
                .isInstanceOf(MetaUnavailableException.class)
                .hasMessageContaining("no meta voter of cluster 'gone' answered");
    }

    @Test
    void badConfigurationIsRefused() {
        Path dir = tempDir.resolve("x");
        assertThatThrownBy(() -> new MetaServerConfig("c", "127.0.0.1:1", List.of("127.0.0.1:2"), dir, 1000))
                .hasMessageContaining("not among the voters");
        assertThatThrownBy(() -> new MetaServerConfig("c", "127.0.0.1", List.of("127.0.0.1"), dir, 1000))
                .hasMessageContaining("host:port");
        assertThatThrownBy(() -> new MetaServerConfig("c", "h:1", List.of("h:1", "h:1"), dir, 1000))
                .hasMessageContaining("duplicate");
        assertThatThrownBy(() -> new MetaServerConfig("c", "h:1", List.of("h:1"), dir, 0))
                .hasMessageContaining("downAfterMillis");
        assertThatThrownBy(() -> new MetaServerConfig(" ", "h:1", List.of("h:1"), dir, 10))
                .hasMessageContaining("cluster name");
        assertThat(MetaGroup.peerId("127.0.0.1:7101").toString()).isEqualTo("m_127_0_0_1_7101");
        assertThat(MetaGroup.groupId("a")).isEqualTo(MetaGroup.groupId("a")).isNotEqualTo(MetaGroup.groupId("b"));
    }
}
