package io.cairn.meta;

import org.apache.ratis.thirdparty.io.grpc.ForwardingServerCallListener;
import org.apache.ratis.thirdparty.io.grpc.Metadata;
import org.apache.ratis.thirdparty.io.grpc.ServerCall;
import org.apache.ratis.thirdparty.io.grpc.ServerCallHandler;
import org.apache.ratis.thirdparty.io.grpc.ServerInterceptor;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * A wide-area link between sites on one machine, for Raft (tests): every event of a call from a
 * node of another site (each message, the half-close, a cancel) reaches the voter one round trip
 * ({@code 2 × oneWayMillis}) after it arrived, in order, so a vote, a log entry or a client's
 * request from across the sites is answered a round trip later, as the node RPC layer's own site
 * delay does for node-to-node calls. Calls from the voter's own site, and from callers the map
 * does not place yet, pass at once.
 */
final class RaftSiteDelay implements ServerInterceptor {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RaftSiteDelay.class);

    /** One timer for every delayed event of the process: equal delays keep their order. */
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("cairn-raft-site-delay").factory());
    /** Where delayed events run, each call's one by one. */
    private static final Executor WORKERS = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("cairn-raft-site-delay-").factory());

    private final long roundTripMillis;
    private final String ownSite;
    private final Function<String, Optional<String>> siteOfNode;
    private final Function<ServerCall<?, ?>, Optional<String>> callerOf;

    /**
     * @param siteOfNode the site a node id is placed in, if the map knows it
     * @param callerOf   the node id a call comes from (its certificate's), if any
     */
    RaftSiteDelay(long oneWayMillis, String ownSite, Function<String, Optional<String>> siteOfNode,
                  Function<ServerCall<?, ?>, Optional<String>> callerOf) {
        if (oneWayMillis <= 0) {
            throw new IllegalArgumentException("oneWayMillis must be positive: " + oneWayMillis);
        }
        this.roundTripMillis = 2 * oneWayMillis;
        this.ownSite = java.util.Objects.requireNonNull(ownSite, "ownSite");
        this.siteOfNode = siteOfNode;
        this.callerOf = callerOf;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        ServerCall.Listener<Q> listener = next.startCall(call, headers);
        boolean far = callerOf.apply(call).flatMap(siteOfNode).map(site -> !site.equals(ownSite)).orElse(false);
        if (!far) {
            return listener;
        }
        SerialQueue queue = new SerialQueue();
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onMessage(Q message) {
                later(queue, () -> delegate().onMessage(message));
            }

            @Override
            public void onHalfClose() {
                later(queue, () -> delegate().onHalfClose());
            }

            @Override
            public void onCancel() {
                later(queue, () -> delegate().onCancel());
            }

            @Override
            public void onComplete() {
                later(queue, () -> delegate().onComplete());
            }

            @Override
            public void onReady() {
                later(queue, () -> delegate().onReady());
            }
        };
    }

    private void later(SerialQueue queue, Runnable event) {
        TIMER.schedule(() -> queue.add(event), roundTripMillis, TimeUnit.MILLISECONDS);
    }

    /** Runs one call's events one at a time, in the order they were added, on a worker. */
    private static final class SerialQueue {
        private final ConcurrentLinkedQueue<Runnable> events = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean draining = new AtomicBoolean();

        void add(Runnable event) {
            events.add(event);
            if (draining.compareAndSet(false, true)) {
                WORKERS.execute(this::drain);
            }
        }

        private void drain() {
            while (true) {
                Runnable next;
                while ((next = events.poll()) != null) {
                    try {
                        next.run();
                    } catch (RuntimeException e) {
                        // As gRPC's own serializing executor does: the call's next events still run.
                        LOG.error("a delayed Raft call event failed", e);
                    }
                }
                draining.set(false);
                if (events.isEmpty() || !draining.compareAndSet(false, true)) {
                    return;
                }
            }
        }
    }
}
