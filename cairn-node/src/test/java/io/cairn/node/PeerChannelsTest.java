package io.cairn.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeState;
import io.cairn.node.rpc.NodeRpcGrpc;
import io.cairn.node.rpc.PingReply;
import io.cairn.node.rpc.PingRequest;
import io.cairn.protocol.Reply;
import io.cairn.protocol.Request;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A node's calls to itself take the in-process channel to its own service; calls to other nodes
 * take the network. Both nodes of the map here have a cluster address where nothing listens, so
 * only a call that stays in the process can be answered.
 */
class PeerChannelsTest {

    private Server selfServer;
    private PeerChannels peers;
    private int closedPort;

    @BeforeEach
    void start() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        String nowhere = "127.0.0.1:" + closedPort;
        ClusterMap map = new ClusterMap(3, "c", List.of(node("n0", nowhere), node("n1", nowhere)), List.of(), List.of(), List.of());
        MapView view = new MapView(() -> map);
        view.install(map);
        String name = "peer-channels-test-" + java.util.UUID.randomUUID();
        selfServer = InProcessServerBuilder.forName(name).directExecutor().addService(new NodeRpcGrpc.NodeRpcImplBase() {
            @Override
            public void ping(PingRequest request, StreamObserver<PingReply> out) {
                out.onNext(PingReply.newBuilder().setEpoch(request.getEpoch()).setNode("n0").build());
                out.onCompleted();
            }
        }).build().start();
        ManagedChannel self = InProcessChannelBuilder.forName(name).build();
        peers = new PeerChannels(view, 2_000, "n0", self, null);
    }

    @AfterEach
    void stop() {
        peers.close();
        selfServer.shutdownNow();
    }

    private static NodeInfo node(String id, String clusterAddress) {
        return new NodeInfo(id, "site-a", "zone-0", "127.0.0.1:1", clusterAddress, "127.0.0.1:2", 1L << 30, NodeState.UP, true);
    }

    @Test
    void callsToItselfStayInTheProcess() {
        assertThat(peers.selfId()).contains("n0");
        PingReply reply = peers.stub("n0").ping(PingRequest.newBuilder().setEpoch(3).setFrom("n0").build());
        assertThat(reply.getNode()).isEqualTo("n0");
    }

    @Test
    void callsToOtherNodesTakeTheNetwork() {
        assertThatThrownBy(() -> peers.stub("n1").ping(PingRequest.newBuilder().setEpoch(3).setFrom("n0").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }

    @Test
    void protocolMessagesToItselfAreAnsweredToo() throws Exception {
        CompletableFuture<Reply> answer = new CompletableFuture<>();
        peers.send("n0", new Request.Ping(3, "n0"), 2_000, answer::complete,
                why -> answer.completeExceptionally(new AssertionError(why)));
        assertThat(answer.get(5, TimeUnit.SECONDS)).isInstanceOfSatisfying(Reply.PingReply.class,
                p -> assertThat(p.node()).isEqualTo("n0"));
    }

    /**
     * A peer that was away for a while and came back before the failure detector marked it down is
     * reached at the next call: no map change takes its channel out of gRPC's reconnect backoff,
     * which has grown to several seconds by then, so without the call's own reset the peer's pings
     * would go on failing while it runs and its peers would suspect it.
     */
    @Test
    void aPeerBackAfterAWhileIsReachedAtTheNextCall() throws Exception {
        long awayUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < awayUntil) {
            assertThat(ping("n1")).as("nothing listens yet").isNotNull();
            Thread.sleep(250);
        }
        Server back = io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder.forAddress(new java.net.InetSocketAddress("127.0.0.1", closedPort))
                .addService(new NodeRpcGrpc.NodeRpcImplBase() {
                    @Override
                    public void ping(PingRequest request, StreamObserver<PingReply> out) {
                        out.onNext(PingReply.newBuilder().setEpoch(request.getEpoch()).setNode("n1").build());
                        out.onCompleted();
                    }
                }).build().start();
        try {
            long backAt = System.nanoTime();
            String failure = ping("n1");
            while (failure != null && System.nanoTime() - backAt < TimeUnit.SECONDS.toNanos(10)) {
                Thread.sleep(250);
                failure = ping("n1");
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - backAt);
            System.out.println("PeerChannelsTest: peer back, first answer after " + millis + " ms");
            assertThat(failure).as("the peer answers once back").isNull();
            assertThat(millis).as("calls every 250 ms reach a peer back within a few of them").isLessThan(1_500);
        } finally {
            back.shutdownNow();
        }
    }

    /** One ping to {@code node}: null when answered, else why not. */
    private String ping(String node) throws Exception {
        CompletableFuture<String> answer = new CompletableFuture<>();
        peers.send(node, new Request.Ping(3, "n0"), 2_000, reply -> answer.complete(null), answer::complete);
        return answer.get(5, TimeUnit.SECONDS);
    }
}
