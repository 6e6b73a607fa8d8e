package io.cairn.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.node.rpc.NodeRpcGrpc;
import io.cairn.node.rpc.PingReply;
import io.cairn.node.rpc.PingRequest;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The emulated wide-area link: answers, failures included, come a round trip later, unchanged. */
class SiteDelayTest {

    @Test
    void answersAndFailuresArriveARoundTripLaterAndUnchanged() throws Exception {
        String name = "site-delay-" + UUID.randomUUID();
        Server server = InProcessServerBuilder.forName(name).directExecutor().addService(new NodeRpcGrpc.NodeRpcImplBase() {
            @Override
            public void ping(PingRequest request, StreamObserver<PingReply> out) {
                if (request.getFrom().equals("fail")) {
                    out.onError(Status.FAILED_PRECONDITION.withDescription("as asked").asRuntimeException());
                    return;
                }
                out.onNext(PingReply.newBuilder().setEpoch(request.getEpoch() + 1).setNode("far").build());
                out.onCompleted();
            }
        }).build().start();
        ManagedChannel direct = InProcessChannelBuilder.forName(name).directExecutor().build();
        ManagedChannel delayed = InProcessChannelBuilder.forName(name).intercept(new SiteDelay(new io.cairn.meta.WanLink(40, 0))).build();
        try {
            NodeRpcGrpc.newBlockingStub(direct).ping(PingRequest.newBuilder().setFrom("warm").build());
            for (int i = 0; i < 5; i++) {
                long start = System.nanoTime();
                PingReply reply = NodeRpcGrpc.newBlockingStub(delayed).ping(PingRequest.newBuilder().setEpoch(i).setFrom("near").build());
                long millis = (System.nanoTime() - start) / 1_000_000;
                assertThat(reply.getEpoch()).isEqualTo(i + 1);
                assertThat(reply.getNode()).isEqualTo("far");
                assertThat(millis).as("one round trip of 2 x 40 ms").isGreaterThanOrEqualTo(80);
            }
            long start = System.nanoTime();
            assertThatThrownBy(() -> NodeRpcGrpc.newBlockingStub(delayed).ping(PingRequest.newBuilder().setFrom("fail").build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                        assertThat(e.getStatus().getDescription()).isEqualTo("as asked");
                    });
            assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(80);
            // A link that loses every answer once: each arrives a retransmission (200 ms) later still.
            ManagedChannel lossy = InProcessChannelBuilder.forName(name).intercept(new SiteDelay(new io.cairn.meta.WanLink(40, 100))).build();
            try {
                long t0 = System.nanoTime();
                assertThat(NodeRpcGrpc.newBlockingStub(lossy).ping(PingRequest.newBuilder().setEpoch(7).setFrom("near").build()).getEpoch())
                        .isEqualTo(8);
                assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(80 + io.cairn.meta.WanLink.RETRANSMIT_MILLIS);
            } finally {
                lossy.shutdownNow();
            }
        } finally {
            direct.shutdownNow();
            delayed.shutdownNow();
            server.shutdownNow();
        }
        assertThatThrownBy(() -> new io.cairn.meta.WanLink(0, 0)).isInstanceOf(IllegalArgumentException.class);

    }
}
