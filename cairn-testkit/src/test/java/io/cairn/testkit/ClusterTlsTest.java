package io.cairn.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.meta.MetaClient;
import io.cairn.meta.MetaUnavailableException;
import io.cairn.meta.tls.ClusterCa;
import io.cairn.meta.tls.NodeCredentials;
import io.cairn.node.rpc.NodeRpcGrpc;
import io.cairn.node.rpc.PingRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * Mutual TLS inside a real dev cluster (which always runs it): the nodes serve S3 with every
 * node-to-node call and every Raft call over TLS, and their cluster and meta ports refuse a
 * plaintext client, a client without a certificate, one whose certificate another CA signed, and a
 * member that speaks in another node's name; a client checks that the node it reached is the node
 * it meant.
 */
@ExtendWith(NodeLogsOnFailure.class)
class ClusterTlsTest {

    TestCluster cluster;

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void cluster_and_meta_ports_serve_only_members_of_the_cluster() throws Exception {
        cluster = TestCluster.start(3);
        cluster.s3(0).createBucket(b -> b.bucket("tls"));
        cluster.s3(1).putObject(b -> b.bucket("tls").key("k"), RequestBody.fromString("over mutual TLS"));
        assertThat(cluster.s3(2).getObjectAsBytes(b -> b.bucket("tls").key("k")).asUtf8String()).isEqualTo("over mutual TLS");

        String node0 = cluster.nodeStatus(0).path("id").asText();
        String node1 = cluster.nodeStatus(1).path("id").asText();
        String node2 = cluster.nodeStatus(2).path("id").asText();
        int clusterPort = cluster.dev().layout().clusterPort(0);
        NodeCredentials member1 = NodeCredentials.load(cluster.dev().tlsDir(1));
        NodeCredentials foreign = ClusterCa.create("cairn-dev").issue(node1, List.of("127.0.0.1"));

        // A plaintext gRPC client.
        assertRefused(plaintext(clusterPort), s -> assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE), node0);
        // TLS, trusting the cluster CA, but with no certificate of its own.
        assertRefused(tls(clusterPort, node0, SslContextBuilder.forClient().trustManager(member1.trustManagers())),
                s -> assertThat(s.getCode()).isIn(Status.Code.UNAVAILABLE, Status.Code.UNAUTHENTICATED), node0);
        // TLS with a certificate of another CA (naming a real node), trusting the cluster CA.
        assertRefused(tls(clusterPort, node0, SslContextBuilder.forClient().keyManager(foreign.keyManagers())
                        .trustManager(member1.trustManagers())),
                s -> assertThat(s.getCode()).isIn(Status.Code.UNAVAILABLE, Status.Code.UNAUTHENTICATED), node0);
        // A member of the cluster that pings in another node's name.
        assertRefused(tls(clusterPort, node0, SslContextBuilder.forClient().keyManager(member1.keyManagers())
                        .trustManager(member1.trustManagers())),
                s -> assertThat(s.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED), node2);
        // A member dialling node 0 while it means node 2: node 0's certificate does not name node 2.
        assertRefused(tls(clusterPort, node2, SslContextBuilder.forClient().keyManager(member1.keyManagers())
                        .trustManager(member1.trustManagers())),
                s -> assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE), node1);
        // The same member in its own name, to the node it means, is served.
        ManagedChannel ok = tls(clusterPort, node0, SslContextBuilder.forClient().keyManager(member1.keyManagers())
                .trustManager(member1.trustManagers()));
        try {
            NodeRpcGrpc.newBlockingStub(ok).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .ping(PingRequest.newBuilder().setEpoch(0).setFrom(node1).build());
        } finally {
            ok.shutdownNow();
        }
        String log0 = Files.readString(cluster.dev().nodeDir(0).resolve("log"), StandardCharsets.UTF_8);
        assertThat(log0).contains("node " + node1 + " sent a Ping in the name of node " + node2);

        // The Raft group: a plaintext client and a client of another CA find no voter.
        List<String> voters = cluster.dev().layout().voterAddresses();
        assertThatThrownBy(() -> MetaClient.connect("cairn-dev", voters, 3_000, null).close())
                .isInstanceOf(MetaUnavailableException.class);
        assertThatThrownBy(() -> MetaClient.connect("cairn-dev", voters, 3_000, foreign).close())
                .isInstanceOf(MetaUnavailableException.class);
        try (MetaClient member = MetaClient.connect("cairn-dev", voters, 15_000, member1)) {
            assertThat(member.read().map().node(node0)).isPresent();
        }

        // Nothing of the above changed what the cluster serves.
        assertThat(cluster.s3(0).getObjectAsBytes(b -> b.bucket("tls").key("k")).asUtf8String()).isEqualTo("over mutual TLS");
    }

    private static ManagedChannel plaintext(int port) {
        return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    }

    private static ManagedChannel tls(int port, String meantNode, SslContextBuilder ssl) throws Exception {
        return NettyChannelBuilder.forAddress("127.0.0.1", port)
                .sslContext(GrpcSslContexts.configure(ssl).build())
                .overrideAuthority(NodeCredentials.authorityOf(meantNode))
                .build();
    }

    /** A ping from {@code from} over {@code channel} fails as {@code check} expects. */
    private static void assertRefused(ManagedChannel channel, Consumer<Status> check, String from) {
        try {
            assertThatThrownBy(() -> NodeRpcGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .ping(PingRequest.newBuilder().setEpoch(0).setFrom(from).build()))
                    .isInstanceOf(StatusRuntimeException.class)
                    .satisfies(e -> check.accept(((StatusRuntimeException) e).getStatus()));
        } finally {
            channel.shutdownNow();
        }
    }
}
