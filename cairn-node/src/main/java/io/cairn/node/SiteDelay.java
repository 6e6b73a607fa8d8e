package io.cairn.node;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * A wide-area link on one machine, for tests: every answer on a call through it (headers,
 * messages, the close) reaches the caller as the {@link io.cairn.meta.WanLink} says: one round
 * trip after the answering node sent it (later if lost), in the order it was sent. (The node
 * protocol's calls are unary, so answers are not held back by flow control; Raft's streams go
 * through {@code RaftSiteDelay}, which pipelines them.) {@link PeerChannels} puts it on the channels
 * to nodes of other sites when a node's {@code site_delay_millis} is set; the kernels of the
 * test machines have no {@code netem} to do it below.
 */
final class SiteDelay implements ClientInterceptor {

    /** One thread for every delayed answer of the process; each call's lane keeps its answers in order. */
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("cairn-site-delay").factory());

    private final io.cairn.meta.WanLink link;

    SiteDelay(io.cairn.meta.WanLink link) {
        this.link = java.util.Objects.requireNonNull(link, "link");
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        // A blocking stub's thread waits for work on the call's own executor: the delayed events go
        // there (in order: it runs them one by one). Without one, they run on the timer's thread.
        java.util.concurrent.Executor executor = options.getExecutor();
        io.cairn.meta.WanLink.Lane lane = link.lane();
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
            @Override
            public void start(Listener<R> listener, Metadata headers) {
                super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                    @Override
                    public void onHeaders(Metadata h) {
                        later(lane, executor, () -> delegate().onHeaders(h));
                    }

                    @Override
                    public void onMessage(R message) {
                        later(lane, executor, () -> delegate().onMessage(message));
                    }

                    @Override
                    public void onClose(Status status, Metadata trailers) {
                        later(lane, executor, () -> delegate().onClose(status, trailers));
                    }

                    @Override
                    public void onReady() {
                        later(lane, executor, () -> delegate().onReady());
                    }
                }, headers);
            }
        };
    }

    private static void later(io.cairn.meta.WanLink.Lane lane, java.util.concurrent.Executor executor, Runnable event) {
        lane.send(TIMER, executor == null ? event : () -> executor.execute(event));
    }
}
