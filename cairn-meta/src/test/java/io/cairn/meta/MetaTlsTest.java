package io.cairn.meta;

import static io.cairn.meta.MetaFixtures.bootstrap;
import static io.cairn.meta.MetaFixtures.node;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.meta.tls.ClusterCa;
import io.cairn.meta.tls.NodeCredentials;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Raft group over mutual TLS: members with a certificate of the cluster CA read and write the
 * map; a plaintext client, or one whose certificate another CA signed, is refused and changes
 * nothing; only a certificate with the voter role runs a voter or changes the group.
 */
class MetaTlsTest {

    @TempDir
    Path tempDir;

    private MetaServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static String freeAddress() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return "127.0.0.1:" + s.getLocalPort();
        }
    }

    @Test
    void onlyMembersOfTheClusterReachTheGroup() throws Exception {
        String address = freeAddress();
        ClusterCa ca = ClusterCa.create("tls-test");
        NodeCredentials voter = ca.issue("nvoter", List.of("127.0.0.1"), true);
        NodeCredentials member = ca.issue("nmember", List.of("127.0.0.1"));
        NodeCredentials stranger = ClusterCa.create("tls-test").issue("nmember", List.of("127.0.0.1"));
        server = MetaServer.start(new MetaServerConfig("tls-test", address, List.of(address), tempDir.resolve("v"), 60_000,
                MetaServerConfig.SNAPSHOT_EVERY_ENTRIES_DEFAULT, MetaServerConfig.DOWN_OUT_INTERVAL_MILLIS_DEFAULT,
                MetaServerConfig.FULL_RATIO_DEFAULT, voter));
        try (MetaClient client = MetaClient.connect("tls-test", List.of(address), 15_000, member);
                MetaClient asVoter = MetaClient.connect("tls-test", List.of(address), 15_000, voter)) {
            assertThatThrownBy(() -> client.submit(bootstrap())).as("a member bootstraps").hasMessageContaining("not a meta voter");
            asVoter.submit(bootstrap());
            client.submit(new MetaCommand.RegisterNode(node("nmember")));
            MetaState before = client.read();
            assertThat(before.map().node("nmember")).isPresent();

            assertThatThrownBy(() -> MetaClient.connect("tls-test", List.of(address), 2_000, null))
                    .as("a plaintext client").isInstanceOf(MetaUnavailableException.class);
            assertThatThrownBy(() -> MetaClient.connect("tls-test", List.of(address), 2_000, stranger))
                    .as("a client whose certificate another CA signed").isInstanceOf(MetaUnavailableException.class);
            // Past the group probe too: a client that knows the group submits directly, and is refused.
            try (MetaClient direct = MetaClient.forGroup(MetaGroup.group("tls-test", List.of(address)), 2, stranger)) {
                assertThatThrownBy(() -> direct.submit(new MetaCommand.MarkDown("n1"))).isInstanceOf(MetaUnavailableException.class);
                assertThatThrownBy(direct::read).isInstanceOf(MetaUnavailableException.class);
            }
            try (MetaClient direct = MetaClient.forGroup(MetaGroup.group("tls-test", List.of(address)), 2, null)) {
                assertThatThrownBy(() -> direct.submit(new MetaCommand.MarkDown("n1"))).isInstanceOf(MetaUnavailableException.class);
            }
            assertThat(client.read()).isEqualTo(before);

            // A member that is not a voter reads the group and submits commands, but cannot change the group.
            try (org.apache.ratis.client.RaftClient raw = org.apache.ratis.client.RaftClient.newBuilder()
                    .setProperties(new org.apache.ratis.conf.RaftProperties())
                    .setParameters(RaftTls.parameters(member))
                    .setRaftGroup(MetaGroup.group("tls-test", List.of(address)))
                    .setRetryPolicy(org.apache.ratis.retry.RetryPolicies.noRetry())
                    .build()) {
                assertThat(raw.getGroupManagementApi(MetaGroup.peerId(address)).info(MetaGroup.groupId("tls-test")).getGroup().getPeers())
                        .hasSize(1);
                assertThatThrownBy(() -> raw.admin().setConfiguration(List.of(MetaGroup.peer(address), MetaGroup.peer(freeAddress()))))
                        .hasMessageContaining("not a meta voter");
            }
            assertThat(server.localState().map()).isEqualTo(before.map());
        }
    }

    @Test
    void aMemberSpeaksOnlyForItselfAndNeverTakesTheLeadersDecisions() throws Exception {
        String address = freeAddress();
        ClusterCa ca = ClusterCa.create("tls-test");
        NodeCredentials voter = ca.issue("nvoter", List.of("127.0.0.1"), true);
        NodeCredentials member = ca.issue("nmember", List.of("127.0.0.1"));
        server = MetaServer.start(new MetaServerConfig("tls-test", address, List.of(address), tempDir.resolve("v"), 60_000,
                MetaServerConfig.SNAPSHOT_EVERY_ENTRIES_DEFAULT, MetaServerConfig.DOWN_OUT_INTERVAL_MILLIS_DEFAULT,
                MetaServerConfig.FULL_RATIO_DEFAULT, voter));
        try (MetaClient asVoter = MetaClient.connect("tls-test", List.of(address), 15_000, voter);
                MetaClient asMember = MetaClient.connect("tls-test", List.of(address), 15_000, member)) {
            asVoter.submit(bootstrap());
            asVoter.submit(new MetaCommand.RegisterNode(node("nvoter")));
            assertThat(asMember.submit(new MetaCommand.RegisterNode(node("nmember"))).ok()).isTrue();
            assertThat(asMember.submit(new MetaCommand.Heartbeat(MetaFixtures.stats("nmember", 10))).ok()).isTrue();
            MetaState before = asMember.read();

            // Its own registration and heartbeat, and a gateway's changes, go through; nothing in another node's name does.
            assertThatThrownBy(() -> asMember.submit(new MetaCommand.Heartbeat(MetaFixtures.stats("nvoter", 10))))
                    .hasMessageContaining("cannot heartbeat for node nvoter");
            assertThatThrownBy(() -> asMember.submit(new MetaCommand.RegisterNode(node("nvoter", "127.0.0.9:1"))))
                    .hasMessageContaining("cannot register node nvoter");
            assertThatThrownBy(() -> asMember.submit(new MetaCommand.RegisterNode(new io.cairn.core.map.NodeInfo("nmember", "site-a", "zone-1",
                    "10.0.0.1:8080", "10.0.0.1:9000", address, 1_000_000_000L, io.cairn.core.map.NodeState.DOWN, false))))
                    .hasMessageContaining("cannot register as one");
            assertThatThrownBy(() -> asMember.submit(new MetaCommand.MarkDown("nvoter"))).hasMessageContaining("not a meta voter");
            assertThatThrownBy(() -> asMember.submit(new MetaCommand.SetDegradedMode("made up"))).hasMessageContaining("not a meta voter");
            assertThatThrownBy(() -> asMember.submit(new MetaCommand.ClearActing(List.of(new io.cairn.core.map.ActingSet("default", 0, List.of("nvoter")))))).hasMessageContaining("not a meta voter");
            ClusterCaKey sealed = new ClusterCaKey(io.cairn.meta.tls.JoinToken.fingerprint(ca.certificate()), "sealed1:k:AAAA");
            assertThatThrownBy(() -> asMember.submit(new MetaCommand.StoreClusterCaKey(sealed)))
                    .hasMessageContaining("only voters keep the cluster CA's key");
            assertThat(server.localState()).isEqualTo(before);

            assertThat(asMember.submit(new MetaCommand.CreateBucket(MetaFixtures.bucket("b", "default", "root"), 0)).ok()).isTrue();
            assertThat(asVoter.submit(new MetaCommand.MarkDown("nmember")).ok()).isTrue();
            // The voters keep the sealed CA key; no query, a voter's or a member's, is answered it.
            assertThat(asVoter.submit(new MetaCommand.StoreClusterCaKey(sealed)).ok()).isTrue();
            assertThat(server.localState().clusterCaKey()).isEqualTo(sealed);
            assertThat(asMember.read().clusterCaKey()).isNull();
            assertThat(asVoter.read().clusterCaKey()).isNull();
            assertThat(asMember.read().map()).isEqualTo(server.localState().map());
        }
    }

    @Test
    void aRevocationIsNeverTakenBackByAnOlderMap() {
        NodeCredentials c = ClusterCa.create("revoke").issue("nself", List.of("127.0.0.1"));
        c.revoke(List.of("ngone"));
        // A voter that applies the removal after a newer map was read passes the list it had before.
        c.revoke(List.of());
        c.revoke(List.of("nother"));
        assertThat(c.isRevoked("ngone")).isTrue();
        assertThat(c.isRevoked("nother")).isTrue();
        assertThat(c.isRevoked("nself")).isFalse();
    }

    @Test
    void aNodeWithoutTheVoterRoleCannotRunAVoter() throws Exception {
        String address = freeAddress();
        NodeCredentials member = ClusterCa.create("tls-test").issue("nmember", List.of("127.0.0.1"));
        assertThat(member.voter()).isFalse();
        assertThatThrownBy(() -> MetaServer.start(new MetaServerConfig("tls-test", address, List.of(address), tempDir.resolve("m"), 60_000,
                MetaServerConfig.SNAPSHOT_EVERY_ENTRIES_DEFAULT, MetaServerConfig.DOWN_OUT_INTERVAL_MILLIS_DEFAULT,
                MetaServerConfig.FULL_RATIO_DEFAULT, member))).hasMessageContaining("does not make it a meta voter");
    }

    @Test
    void credentialsRoundTripThroughTheirFilesWithThePrivateKeyUnreadableToOthers() throws Exception {
        ClusterCa ca = ClusterCa.create("files");
        NodeCredentials issued = ca.issue("n0123456789ab", List.of("127.0.0.1", "node7.example.net"));
        Path dir = tempDir.resolve("tls");
        issued.save(dir);
        NodeCredentials loaded = NodeCredentials.load(dir);
        assertThat(loaded.nodeId()).isEqualTo("n0123456789ab");
        assertThat(loaded.certificate()).isEqualTo(issued.certificate());
        assertThat(loaded.caCertificate()).isEqualTo(ca.certificate());
        assertThat(Files.getPosixFilePermissions(dir.resolve(NodeCredentials.KEY_FILE)))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        assertThat(loaded.certificate().getSubjectAlternativeNames().stream().map(n -> String.valueOf(n.get(1))).toList())
                .contains("n0123456789ab.node.cairn", "127.0.0.1", "node7.example.net");

        ca.save(tempDir.resolve("ca"));
        assertThat(ClusterCa.load(tempDir.resolve("ca")).certificate()).isEqualTo(ca.certificate());

        // A certificate of another CA next to this CA's certificate is refused on load.
        NodeCredentials foreign = ClusterCa.create("files").issue("n0123456789ab", List.of("127.0.0.1"));
        Path mixed = tempDir.resolve("mixed");
        foreign.save(mixed);
        Files.copy(dir.resolve(NodeCredentials.CA_CERT_FILE), mixed.resolve(NodeCredentials.CA_CERT_FILE),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> NodeCredentials.load(mixed)).isInstanceOf(IOException.class).hasMessageContaining("not signed by the cluster CA");
        Files.writeString(mixed.resolve(NodeCredentials.KEY_FILE), "not a key");
        assertThatThrownBy(() -> NodeCredentials.load(mixed)).isInstanceOf(IOException.class).hasMessageContaining(NodeCredentials.KEY_FILE);
    }
}
