package io.cairn.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.meta.MetaClient;
import io.cairn.meta.MetaUnavailableException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.meta.tls.ClusterCa;
import io.cairn.meta.tls.JoinToken;
import io.cairn.meta.tls.NodeCredentials;
import io.cairn.node.rpc.NodeRpcGrpc;
import io.cairn.node.rpc.PingRequest;
import io.cairn.server.admin.AdminClient;
import io.cairn.server.admin.AdminRequestException;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.awaitility.Awaitility;
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
            io.cairn.meta.MetaState before = member.read();
            io.cairn.core.map.NodeInfo n0 = before.map().node(node0).orElseThrow();
            // A member of the cluster submits map changes, but none in another node's name: it
            // cannot send node 0's traffic to itself, nor keep node 0 up while it is away.
            io.cairn.core.map.NodeInfo hijacked = new io.cairn.core.map.NodeInfo(n0.id(), n0.site(), n0.zone(), n0.publicAddress(),
                    "127.0.0.1:" + cluster.dev().layout().clusterPort(1), n0.metaAddress(), n0.capacityBytes(), n0.state(), n0.in());
            assertThatThrownBy(() -> member.submit(new io.cairn.meta.MetaCommand.RegisterNode(hijacked)))
                    .hasMessageContaining("cannot register node " + node0);
            assertThatThrownBy(() -> member.submit(new io.cairn.meta.MetaCommand.Heartbeat(io.cairn.core.map.NodeStats.empty(node0))))
                    .hasMessageContaining("cannot heartbeat for node " + node0);
            assertThat(member.read().map().node(node0)).contains(n0);
        }

        // Nothing of the above changed what the cluster serves.
        assertThat(cluster.s3(0).getObjectAsBytes(b -> b.bucket("tls").key("k")).asUtf8String()).isEqualTo("over mutual TLS");
    }

    @Test
    void a_removed_node_is_cut_off_on_new_and_open_connections() throws Exception {
        cluster = TestCluster.start(4);
        AdminClient admin = cluster.admin();
        cluster.s3(0).createBucket(b -> b.bucket("stays"));
        cluster.s3(3).putObject(b -> b.bucket("stays").key("k"), RequestBody.fromString("kept through the removal"));
        String node0 = cluster.nodeStatus(0).path("id").asText();
        String node3 = cluster.nodeStatus(3).path("id").asText();
        int clusterPort = cluster.dev().layout().clusterPort(0);
        List<String> voters = cluster.dev().layout().voterAddresses();
        NodeCredentials member3 = NodeCredentials.load(cluster.dev().tlsDir(3));

        // A node that still takes partitions, and a voter, cannot be removed.
        assertThatThrownBy(() -> admin.removeNode(node3)).isInstanceOf(AdminRequestException.class).hasMessageContaining("drain it first");
        assertThatThrownBy(() -> admin.removeNode(node0)).isInstanceOf(AdminRequestException.class).hasMessageContaining("meta voter");

        // Node 3's connection to node 0, opened while it is a member, serves it.
        ManagedChannel open = tls(clusterPort, node0, SslContextBuilder.forClient().keyManager(member3.keyManagers())
                .trustManager(member3.trustManagers()));
        NodeRpcGrpc.NodeRpcBlockingStub openStub = NodeRpcGrpc.newBlockingStub(open);
        openStub.withDeadlineAfter(10, TimeUnit.SECONDS).ping(PingRequest.newBuilder().setEpoch(0).setFrom(node3).build());

        admin.markNode(node3, false);
        // Removal waits until the drained node's partitions live elsewhere.
        Awaitility.await("node 3's partitions moved and node 3 removed").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
                .until(() -> {
                    try {
                        admin.removeNode(node3);
                        return true;
                    } catch (AdminRequestException e) {
                        assertThat(e.getMessage()).contains("re-protected");
                        return false;
                    }
                });
        assertThatThrownBy(() -> admin.removeNode(node3)).isInstanceOf(AdminRequestException.class).hasMessageContaining("removed already");
        assertThat(admin.status().toString()).doesNotContain(node3);

        try {
            // The open connection serves node 3 nothing more, once node 0 has the map that removed it.
            java.util.concurrent.atomic.AtomicReference<String> last = new java.util.concurrent.atomic.AtomicReference<>("none");
            try {
                Awaitility.await("node 0 refuses node 3 on an open connection").atMost(Duration.ofSeconds(30)).until(() -> {
                    try {
                        openStub.withDeadlineAfter(10, TimeUnit.SECONDS).ping(PingRequest.newBuilder().setEpoch(0).setFrom(node3).build());
                        last.set("served");
                        return false;
                    } catch (StatusRuntimeException e) {
                        last.set(e.getStatus().toString());
                        return true;
                    }
                });
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("node 0 still serves removed node 3 on its open connection; last ping: " + last.get(), e);
            }
            assertThat(last.get()).as("the refusal on the open connection").startsWith("Status{code=PERMISSION_DENIED");
        } finally {
            open.shutdownNow();
        }
        // A new connection is refused at its handshake, and no voter serves node 3's Raft client.
        assertRefused(tls(clusterPort, node0, SslContextBuilder.forClient().keyManager(member3.keyManagers())
                        .trustManager(member3.trustManagers())),
                s -> assertThat(s.getCode()).isIn(Status.Code.UNAVAILABLE, Status.Code.UNAUTHENTICATED), node3);
        assertThatThrownBy(() -> MetaClient.connect("cairn-dev", voters, 5_000, member3).close())
                .isInstanceOf(MetaUnavailableException.class);
        String log0 = Files.readString(cluster.dev().nodeDir(0).resolve("log"), StandardCharsets.UTF_8);
        assertThat(log0).contains("node " + node3 + " was removed from the cluster");

        // The cluster serves on without it, with every object.
        assertThat(cluster.s3(1).getObjectAsBytes(b -> b.bucket("stays").key("k")).asUtf8String()).isEqualTo("kept through the removal");
        cluster.s3(2).putObject(b -> b.bucket("stays").key("k2"), RequestBody.fromString("after"));
        assertThat(cluster.s3(0).getObjectAsBytes(b -> b.bucket("stays").key("k2")).asUtf8String()).isEqualTo("after");
    }

    @Test
    void nodes_renew_their_certificates_before_they_expire_and_only_for_themselves() throws Exception {
        cluster = TestCluster.start(4); // nodes 0-2 are meta voters and hold the CA key; node 3 does not
        cluster.s3(0).createBucket(b -> b.bucket("renew"));
        ClusterCa ca = cluster.dev().openClusterCa();
        // Node 0 (it renews with the CA key it holds) and node 3 (it asks a voter) start with
        // certificates two thirds through their lifetime.
        java.util.Map<Integer, X509Certificate> ageing = new java.util.HashMap<>();
        for (int i : new int[] {0, 3}) {
            NodeCredentials have = NodeCredentials.load(cluster.dev().tlsDir(i));
            cluster.kill(i);
            java.time.Instant now = java.time.Instant.now();
            NodeCredentials old = ca.issue(have.nodeId(), List.of("127.0.0.1"), have.voter(), now.minus(Duration.ofMinutes(50)),
                    now.plus(Duration.ofMinutes(10)));
            old.save(cluster.dev().tlsDir(i));
            ageing.put(i, old.certificate());
            cluster.restart(i);
        }
        String node3 = cluster.nodeStatus(3).path("id").asText();
        for (int i : ageing.keySet()) {
            X509Certificate old = ageing.get(i);
            java.nio.file.Path dir = cluster.dev().tlsDir(i);
            Awaitility.await("node " + i + " renews its certificate").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                    .until(() -> !certificateIn(dir).equals(old));
            X509Certificate renewed = certificateIn(dir);
            assertThat(renewed.getNotAfter().toInstant()).isAfter(java.time.Instant.now().plus(Duration.ofDays(300)));
            assertThat(List.copyOf(renewed.getSubjectAlternativeNames())).isEqualTo(List.copyOf(old.getSubjectAlternativeNames()));
            assertThat(renewed.getPublicKey()).as("a new key").isNotEqualTo(old.getPublicKey());
            assertThat(NodeCredentials.load(dir).certificate()).as("the key on disk goes with it").isEqualTo(renewed);
            // A new connection to the node is shown the renewed certificate, without a restart.
            assertThat(presentedAt(cluster.dev().layout().clusterPort(i), NodeCredentials.load(cluster.dev().tlsDir(1)))).isEqualTo(renewed);
            assertThat(Files.readString(cluster.log(i), StandardCharsets.UTF_8)).contains("renewed its certificate");
        }
        StringBuilder voterLogs = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            voterLogs.append(Files.readString(cluster.log(i), StandardCharsets.UTF_8));
        }
        assertThat(voterLogs).contains("renewed the certificate of node " + node3);

        // Renewal is for oneself only, and only nodes with the CA key serve it.
        NodeCredentials member1 = NodeCredentials.load(cluster.dev().tlsDir(1));
        String node0 = cluster.nodeStatus(0).path("id").asText();
        KeyPair fresh = ClusterCa.newKeyPair();
        ManagedChannel toVoter = tls(cluster.dev().layout().clusterPort(0), node0,
                SslContextBuilder.forClient().keyManager(member1.keyManagers()).trustManager(member1.trustManagers()));
        ManagedChannel toNode3 = tls(cluster.dev().layout().clusterPort(3), node3,
                SslContextBuilder.forClient().keyManager(member1.keyManagers()).trustManager(member1.trustManagers()));
        try {
            var stub = io.cairn.node.rpc.NodeCertificatesGrpc.newBlockingStub(toVoter).withDeadlineAfter(10, TimeUnit.SECONDS);
            byte[] issued = stub.renew(io.cairn.node.rpc.RenewRequest.newBuilder()
                    .setPublicKey(com.google.protobuf.ByteString.copyFrom(fresh.getPublic().getEncoded())).build()).getCertificate().toByteArray();
            X509Certificate forMember = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(issued));
            assertThat(NodeCredentials.nodeIdOf(forMember)).contains(member1.nodeId());
            assertThat(NodeCredentials.isVoter(forMember)).isEqualTo(member1.voter());
            assertThatThrownBy(() -> stub.renew(io.cairn.node.rpc.RenewRequest.newBuilder()
                    .setPublicKey(com.google.protobuf.ByteString.copyFromUtf8("not a key")).build()))
                    .isInstanceOf(StatusRuntimeException.class)
                    .satisfies(e -> assertThat(((StatusRuntimeException) e).getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
            assertThatThrownBy(() -> io.cairn.node.rpc.NodeCertificatesGrpc.newBlockingStub(toNode3).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .renew(io.cairn.node.rpc.RenewRequest.newBuilder()
                            .setPublicKey(com.google.protobuf.ByteString.copyFrom(fresh.getPublic().getEncoded())).build()))
                    .isInstanceOf(StatusRuntimeException.class)
                    .satisfies(e -> assertThat(((StatusRuntimeException) e).getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED));
        } finally {
            toVoter.shutdownNow();
            toNode3.shutdownNow();
        }

        // The renewed nodes serve on, and start again with what they wrote.
        cluster.kill(3);
        cluster.restart(3);
        cluster.s3(3).putObject(b -> b.bucket("renew").key("k"), RequestBody.fromString("after renewal"));
        assertThat(cluster.s3(0).getObjectAsBytes(b -> b.bucket("renew").key("k")).asUtf8String()).isEqualTo("after renewal");
    }

    private static X509Certificate certificateIn(java.nio.file.Path tlsDir) throws Exception {
        try (var in = Files.newInputStream(tlsDir.resolve(NodeCredentials.CERT_FILE))) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    /** The certificate a node's cluster port shows a new TLS connection from {@code client}. */
    private static X509Certificate presentedAt(int port, NodeCredentials client) throws Exception {
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(client.keyManagers().getKeyManagers(), client.trustManagers().getTrustManagers(), null);
        try (javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
            javax.net.ssl.SSLParameters params = socket.getSSLParameters();
            params.setApplicationProtocols(new String[] {"h2"});
            socket.setSSLParameters(params);
            socket.startHandshake();
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }
    }

    @Test
    void a_node_joins_with_a_one_time_token_and_nothing_else_admits_it() throws Exception {
        cluster = TestCluster.start(3);
        cluster.s3(0).createBucket(b -> b.bucket("joined"));
        // 'cairn dev node add' gives the new node a token, and the node gets its certificate with it.
        int added = cluster.dev().addNode();
        cluster.awaitUp(added, Duration.ofMinutes(2));
        String addedId = cluster.nodeStatus(added).path("id").asText();
        NodeCredentials joined = NodeCredentials.load(cluster.dev().tlsDir(added));
        assertThat(joined.nodeId()).isEqualTo(addedId);
        assertThat(joined.caCertificate()).isEqualTo(NodeCredentials.load(cluster.dev().tlsDir(0)).caCertificate());
        cluster.s3(added).putObject(b -> b.bucket("joined").key("k"), RequestBody.fromString("through the joined node"));
        assertThat(cluster.s3(1).getObjectAsBytes(b -> b.bucket("joined").key("k")).asUtf8String()).isEqualTo("through the joined node");
        String config = Files.readString(cluster.dev().nodeDir(added).resolve("config.yaml"), StandardCharsets.UTF_8);
        String usedToken = config.lines().filter(l -> l.startsWith("join_token: ")).findFirst().orElseThrow().substring(12).strip();

        HttpClient http = HttpClient.newHttpClient();
        String voter = cluster.endpoint(0);
        KeyPair key = newKey();
        String fresh = cluster.admin().createJoinToken(5).path("token").asText();
        JoinToken parsed = JoinToken.parse(fresh);
        // Refused, and the fresh token left unused: a used token, a made-up one, one of another cluster, malformed requests.
        assertThat(join(http, voter, usedToken, "newcomer", key).statusCode()).isEqualTo(403);
        assertThat(join(http, voter, new JoinToken("A".repeat(43), parsed.caFingerprint()).toString(), "newcomer", key).statusCode())
                .isEqualTo(403);
        String foreignFingerprint = JoinToken.fingerprint(ClusterCa.create("other").certificate());
        assertThat(join(http, voter, new JoinToken(parsed.secret(), foreignFingerprint).toString(), "newcomer", key).statusCode())
                .isEqualTo(403);
        assertThat(join(http, voter, fresh, "Not An Id", key).statusCode()).isEqualTo(400);
        assertThat(http.send(HttpRequest.newBuilder(URI.create(voter + "/_cairn/join")).POST(HttpRequest.BodyPublishers.ofString("{"))
                .build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(400);
        // A node without the CA key does not admit anyone (and does not use the token up).
        assertThat(join(http, cluster.endpoint(added), fresh, "newcomer", key).statusCode()).isEqualTo(503);
        // The token admits one node, once; here through voter 1, which did not make the CA: it holds
        // the CA key from the voters' replicated state.
        HttpResponse<String> ok = join(http, cluster.endpoint(1), fresh, "newcomer", key);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        assertThat(join(http, voter, fresh, "newcomer", key).statusCode()).isEqualTo(403);
        JsonNode answer = new ObjectMapper().readTree(ok.body());
        CertificateFactory x509 = CertificateFactory.getInstance("X.509");
        X509Certificate ca = (X509Certificate) x509.generateCertificate(new ByteArrayInputStream(Base64.getDecoder().decode(answer.path("ca").asText())));
        X509Certificate cert = (X509Certificate) x509.generateCertificate(
                new ByteArrayInputStream(Base64.getDecoder().decode(answer.path("certificate").asText())));
        assertThat(JoinToken.fingerprint(ca)).isEqualTo(parsed.caFingerprint());
        NodeCredentials newcomer = NodeCredentials.of(ca, cert, key.getPrivate());
        assertThat(newcomer.nodeId()).isEqualTo("newcomer");
        // What it got is a membership: node 0 serves it over mutual TLS.
        String node0 = cluster.nodeStatus(0).path("id").asText();
        ManagedChannel member = tls(cluster.dev().layout().clusterPort(0), node0, SslContextBuilder.forClient()
                .keyManager(newcomer.keyManagers()).trustManager(newcomer.trustManagers()));
        try {
            NodeRpcGrpc.newBlockingStub(member).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .ping(PingRequest.newBuilder().setEpoch(0).setFrom("newcomer").build());
        } finally {
            member.shutdownNow();
        }
        String log1 = Files.readString(cluster.dev().nodeDir(1).resolve("log"), StandardCharsets.UTF_8);
        assertThat(log1).contains("admitted node newcomer").doesNotContain(parsed.secret());
    }

    @Test
    void the_first_voter_makes_the_ca_whose_key_the_voters_keep_sealed_and_nobody_else_sees() throws Exception {
        cluster = TestCluster.start(4); // nodes 0-2 are meta voters; node 0, the first, makes the CA
        cluster.s3(0).createBucket(b -> b.bucket("sealed"));
        assertThat(Files.exists(cluster.dir().resolve("ca").resolve(ClusterCa.CA_KEY_FILE))).as("no CA is made outside the cluster").isFalse();
        ClusterCa ca = cluster.dev().openClusterCa();
        for (int i = 0; i < 4; i++) {
            assertThat(NodeCredentials.load(cluster.dev().tlsDir(i)).caCertificate()).isEqualTo(ca.certificate());
        }
        assertThat(Files.readString(cluster.log(0), StandardCharsets.UTF_8)).contains("made the cluster CA");
        for (int i = 1; i < 4; i++) {
            assertThat(Files.readString(cluster.log(i), StandardCharsets.UTF_8)).contains("joined through " + cluster.endpoint(0));
        }
        // The key never sits in clear in any file of the cluster: not in the Raft logs and
        // snapshots, the stores, the configurations or the logs (neither its PKCS#8 form, nor
        // its base64, nor the bare private number).
        byte[] pkcs8 = ca.privateKeyPkcs8();
        byte[] raw = ((java.security.interfaces.ECPrivateKey) java.security.KeyFactory.getInstance("EC")
                .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(pkcs8))).getS().toByteArray();
        byte[] scalar = raw.length > 32 ? java.util.Arrays.copyOfRange(raw, raw.length - 32, raw.length) : raw;
        List<byte[]> needles = List.of(pkcs8, Base64.getEncoder().encode(pkcs8), scalar);
        List<java.nio.file.Path> files;
        try (var walk = Files.walk(cluster.dir())) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        assertThat(files).as("the search covers the voters' Raft logs").anyMatch(f -> f.startsWith(cluster.dev().nodeDir(1).resolve("data").resolve("meta")));
        for (java.nio.file.Path f : files) {
            if (Files.size(f) > 512L << 20) {
                continue;
            }
            byte[] content = Files.readAllBytes(f);
            for (byte[] needle : needles) {
                assertThat(indexOf(content, needle)).as("the CA key in clear in " + cluster.dir().relativize(f)).isEqualTo(-1);
            }
        }
        // A member's (or a voter's) read of the meta state is never sent the sealed key.
        try (io.cairn.meta.MetaClient member = io.cairn.meta.MetaClient.connect(cluster.dev().layout().clusterName(),
                cluster.dev().layout().voterAddresses(), NodeCredentials.load(cluster.dev().tlsDir(3)))) {
            io.cairn.meta.MetaState read = member.read();
            assertThat(read.map().bucket("sealed")).isPresent();
            assertThat(read.clusterCaKey()).isNull();
        }
        // The bootstrap token: while the cluster is young, any voter admits a first node that
        // brings it (and proves that it holds the token too); another token is refused, and a
        // node that is not a voter admits nobody.
        String bootstrap = Files.readString(cluster.dir().resolve("ca").resolve("bootstrap-token"), StandardCharsets.UTF_8).strip();
        HttpClient http = HttpClient.newHttpClient();
        KeyPair key = newKey();
        assertThat(join(http, cluster.endpoint(2), io.cairn.meta.tls.BootstrapToken.create().toString(), "nlate", key).statusCode())
                .isEqualTo(403);
        assertThat(join(http, cluster.endpoint(3), bootstrap, "nlate", key).statusCode()).isEqualTo(503);
        HttpResponse<String> late = join(http, cluster.endpoint(2), bootstrap, "nlate", key);
        assertThat(late.statusCode()).as(late.body()).isEqualTo(200);
        JsonNode answer = new ObjectMapper().readTree(late.body());
        byte[] caDer = Base64.getDecoder().decode(answer.path("ca").asText());
        byte[] certDer = Base64.getDecoder().decode(answer.path("certificate").asText());
        assertThat(io.cairn.meta.tls.BootstrapToken.parse(bootstrap).proves(answer.path("proof").asText(), caDer, certDer)).isTrue();
        assertThat(caDer).isEqualTo(ca.certificate().getEncoded());
        for (int i = 0; i < 4; i++) {
            assertThat(Files.readString(cluster.log(i), StandardCharsets.UTF_8)).doesNotContain(bootstrap.substring(13));
        }
    }

    @Test
    void a_ca_made_outside_the_cluster_signs_its_nodes_and_its_voters_admit_new_ones() throws Exception {
        ClusterCa operators = ClusterCa.create("cairn-dev");
        cluster = TestCluster.startWithOperatorCa(3, operators);
        for (int i = 0; i < 3; i++) {
            assertThat(NodeCredentials.load(cluster.dev().tlsDir(i)).caCertificate()).isEqualTo(operators.certificate());
            assertThat(Files.readString(cluster.dev().nodeDir(i).resolve("config.yaml"), StandardCharsets.UTF_8))
                    .contains("cluster_ca_key_file: ").doesNotContain("bootstrap_token");
        }
        assertThat(Files.exists(cluster.dev().nodeDir(0).resolve("data").resolve(io.cairn.server.join.ClusterAuthority.LOCAL_FILE)))
                .as("the cluster made no CA of its own").isFalse();
        cluster.s3(0).createBucket(b -> b.bucket("outside"));
        int added = cluster.dev().addNode(); // admitted by a voter with the operator's CA key
        cluster.awaitUp(added, Duration.ofMinutes(2));
        assertThat(NodeCredentials.load(cluster.dev().tlsDir(added)).caCertificate()).isEqualTo(operators.certificate());
        cluster.s3(added).putObject(b -> b.bucket("outside").key("k"), RequestBody.fromString("signed outside"));
        assertThat(cluster.s3(1).getObjectAsBytes(b -> b.bucket("outside").key("k")).asUtf8String()).isEqualTo("signed outside");
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static HttpResponse<String> join(HttpClient http, String endpoint, String token, String nodeId, KeyPair key) throws Exception {
        String body = new ObjectMapper().writeValueAsString(java.util.Map.of("token", token, "node_id", nodeId,
                "public_key", Base64.getEncoder().encodeToString(key.getPublic().getEncoded()), "hosts", List.of("127.0.0.1")));
        return http.send(HttpRequest.newBuilder(URI.create(endpoint + "/_cairn/join")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static KeyPair newKey() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
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
