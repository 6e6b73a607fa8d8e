package io.cairn.meta;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.thirdparty.io.grpc.CallOptions;
import org.apache.ratis.thirdparty.io.grpc.ManagedChannel;
import org.apache.ratis.thirdparty.io.grpc.ManagedChannelBuilder;
import org.apache.ratis.thirdparty.io.grpc.Metadata;
import org.apache.ratis.thirdparty.io.grpc.MethodDescriptor;
import org.apache.ratis.thirdparty.io.grpc.Server;
import org.apache.ratis.thirdparty.io.grpc.ServerCall;
import org.apache.ratis.thirdparty.io.grpc.ServerInterceptors;
import org.apache.ratis.thirdparty.io.grpc.ServerServiceDefinition;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyServerBuilder;
import org.apache.ratis.thirdparty.io.grpc.stub.ClientCalls;
import org.apache.ratis.thirdparty.io.grpc.stub.ServerCalls;
import org.apache.ratis.thirdparty.io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.Test;

/**
 * The emulated wide-area links for Raft: calls from another site's node arrive a round trip of
 * their pair of sites late, in order; the own site's at once.
 */
class RaftSiteDelayTest {

    private static final MethodDescriptor.Marshaller<String> TEXT = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    private static MethodDescriptor<String, String> method(String service) {
        return MethodDescriptor.<String, String>newBuilder().setType(MethodDescriptor.MethodType.CLIENT_STREAMING)
                .setFullMethodName(service + "/join").setRequestMarshaller(TEXT).setResponseMarshaller(TEXT).build();
    }

    /** A service whose one method joins the messages of a stream, in the order they arrived. */
    private static ServerServiceDefinition joining(String service) {
        return ServerServiceDefinition.builder(service).addMethod(method(service), ServerCalls.asyncClientStreamingCall(out -> {
            List<String> got = new ArrayList<>();
            return new StreamObserver<>() {
                @Override
                public void onNext(String value) {
                    got.add(value);
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                    out.onNext(String.join(",", got));
                    out.onCompleted();
                }
            };
        })).build();
    }

    @Test
    void callsFromAnotherSiteArriveARoundTripLateAndInOrderAndTheOwnSitesAtOnce() throws Exception {
        // The caller is told by the service it calls: "far" is a node of site2, "mid" one of site3
        // (a link of its own, 5 ms), "next" one of site4 (no delay of its own), "near" one of site1,
        // "stranger" unplaced.
        Map<String, String> sites = Map.of("nfar", "site2", "nmid", "site3", "nnext", "site4", "nnear", "site1");
        SiteLinks links = SiteLinks.of(40, 0, List.of(new SiteLinks.Pair("site3", "site1", 5, 0), new SiteLinks.Pair("site1", "site4", 0, 0)));
        RaftSiteDelay delay = new RaftSiteDelay(links, "site1", node -> Optional.ofNullable(sites.get(node)),
                call -> Optional.of("n" + call.getMethodDescriptor().getServiceName()));
        Server server = NettyServerBuilder.forPort(0)
                .addService(ServerInterceptors.intercept(joining("far"), delay))
                .addService(ServerInterceptors.intercept(joining("mid"), delay))
                .addService(ServerInterceptors.intercept(joining("next"), delay))
                .addService(ServerInterceptors.intercept(joining("near"), delay))
                .addService(ServerInterceptors.intercept(joining("stranger"), delay))
                .build().start();
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
        try {
            for (String service : List.of("near", "far", "mid", "next", "stranger")) {
                call(channel, service, 1); // warm
            }
            for (int round = 0; round < 3; round++) {
                long far = call(channel, "far", 50);
                assertThat(far).as("a round trip of 2 x 40 ms").isGreaterThanOrEqualTo(80);
                // The messages of a call travel together, as on a wire: 50 of them one after the
                // other, a round trip each, would take 4 s.
                assertThat(far).as("50 messages on one call cross the link together").isLessThan(30 * 80);
            }
            assertThat(call(channel, "mid", 50)).as("site3's own link: a round trip of 2 x 5 ms").isGreaterThanOrEqualTo(10);
            call(channel, "near", 50); // whole and in order
            call(channel, "next", 50);
        } finally {
            channel.shutdownNow();
            server.shutdownNow();
        }
        // A call of the own site, of a site whose link has no delay, or of a node the map does
        // not place, is handed on untouched.
        ServerCall.Listener<String> own = new ServerCall.Listener<>() {};
        for (String service : List.of("near", "next", "stranger")) {
            assertThat(delay.interceptCall(callOf(service), new Metadata(), (c, h) -> own)).isSameAs(own);
        }
        for (String service : List.of("far", "mid")) {
            assertThat(delay.interceptCall(callOf(service), new Metadata(), (c, h) -> own)).isNotSameAs(own);
        }
    }

    private static ServerCall<String, String> callOf(String service) {
        return new ServerCall<>() {
            @Override
            public void request(int numMessages) {
            }

            @Override
            public void sendHeaders(Metadata headers) {
            }

            @Override
            public void sendMessage(String message) {
            }

            @Override
            public void close(org.apache.ratis.thirdparty.io.grpc.Status status, Metadata trailers) {
            }

            @Override
            public boolean isCancelled() {
                return false;
            }

            @Override
            public MethodDescriptor<String, String> getMethodDescriptor() {
                return method(service);
            }
        };
    }

    /** Sends {@code count} messages on one call; checks they arrived in order; returns the call's milliseconds. */
    private static long call(ManagedChannel channel, String service, int count) throws Exception {
        CompletableFuture<String> answer = new CompletableFuture<>();
        long start = System.nanoTime();
        StreamObserver<String> out = ClientCalls.asyncClientStreamingCall(channel.newCall(method(service), CallOptions.DEFAULT),
                new StreamObserver<>() {
                    @Override
                    public void onNext(String value) {
                        answer.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        answer.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.onNext(Integer.toString(i));
            sent.add(Integer.toString(i));
        }
        out.onCompleted();
        assertThat(answer.get(10, TimeUnit.SECONDS)).isEqualTo(String.join(",", sent));
        return (System.nanoTime() - start) / 1_000_000;
    }
}
