package io.cairn.meta;

import org.apache.ratis.thirdparty.io.grpc.ForwardingServerCall;
import org.apache.ratis.thirdparty.io.grpc.Metadata;
import org.apache.ratis.thirdparty.io.grpc.ServerCall;
import org.apache.ratis.thirdparty.io.grpc.ServerCallHandler;
import org.apache.ratis.thirdparty.io.grpc.ServerInterceptor;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * A wide-area link between sites on one machine, for Raft (tests): every event of a call from a
 * node of another site (each message, the half-close, a cancel) reaches the voter as the
 * {@link WanLink} between the two sites says (a round trip after it arrived, later if lost), in
 * order, so a vote, a log entry or a client's request from across the sites is answered a round
 * trip later, as the node RPC layer's own site delay does for node-to-node calls. Calls from the voter's own site, from
 * a site without a delay to the voter's, and from callers the map does not place yet, pass at once.
 */
final class RaftSiteDelay implements ServerInterceptor {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RaftSiteDelay.class);

    /** One timer thread for every delayed event of the process; each call's lane keeps its events in order. */
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("cairn-raft-site-delay").factory());
    /** Where delayed events run, each call's one by one. */
    private static final Executor WORKERS = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("cairn-raft-site-delay-").factory());

    private final SiteLinks links;
    private final String ownSite;
    private final Function<String, Optional<String>> siteOfNode;
    private final Function<ServerCall<?, ?>, Optional<String>> callerOf;

    /**
     * @param siteOfNode the site a node id is placed in, if the map knows it
     * @param callerOf   the node id a call comes from (its certificate's), if any
     */
    RaftSiteDelay(SiteLinks links, String ownSite, Function<String, Optional<String>> siteOfNode,
                  Function<ServerCall<?, ?>, Optional<String>> callerOf) {
        this.links = java.util.Objects.requireNonNull(links, "links");
        this.ownSite = java.util.Objects.requireNonNull(ownSite, "ownSite");
        this.siteOfNode = siteOfNode;
        this.callerOf = callerOf;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        Optional<WanLink> link = callerOf.apply(call).flatMap(siteOfNode).flatMap(site -> links.between(ownSite, site));
        if (link.isEmpty()) {
            return next.startCall(call, headers);
        }
        Pipe<Q> pipe = new Pipe<>(link.get().lane(), call);
        // The pipe asks the transport for messages itself, a window ahead, so that messages on
        // the link travel together as they would on a wire, not one per round trip; the call's
        // own requests say how many it may be handed.
        ServerCall.Listener<Q> listener = next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void request(int numMessages) {
                pipe.appRequest(numMessages);
            }
        }, headers);
        pipe.listener = listener;
        call.request(Pipe.WINDOW);
        return new ServerCall.Listener<>() {
            @Override
            public void onMessage(Q message) {
                pipe.arrive(message, null);
            }

            @Override
            public void onHalfClose() {
                pipe.arrive(null, () -> pipe.listener.onHalfClose());
            }

            @Override
            public void onCancel() {
                pipe.arrive(null, () -> pipe.listener.onCancel());
            }

            @Override
            public void onComplete() {
                pipe.arrive(null, () -> pipe.listener.onComplete());
            }

            @Override
            public void onReady() {
                pipe.arrive(null, () -> pipe.listener.onReady());
            }
        };
    }

    /**
     * One call's events on the link: each arrives when its lane says, then waits in order until
     * the call has asked for it (a message) and is handed over, one at a time.
     */
    private static final class Pipe<Q> {
        /** Messages asked of the transport ahead of the call's own requests. */
        static final int WINDOW = 16;

        private final SerialQueue queue;
        private final ServerCall<Q, ?> call;
        volatile ServerCall.Listener<Q> listener;
        /** Arrived events not handed over yet: a message, or a control event. Touched only on the queue. */
        private final java.util.ArrayDeque<Object[]> arrived = new java.util.ArrayDeque<>();
        private int requested;

        Pipe(WanLink.Lane lane, ServerCall<Q, ?> call) {
            this.queue = new SerialQueue(lane);
            this.call = call;
        }

        /** A message (or, with {@code control}, another event) came off the transport: it arrives a link's delay later. */
        void arrive(Q message, Runnable control) {
            queue.lane.send(TIMER, () -> queue.add(() -> {
                arrived.add(new Object[] {message, control});
                pump();
            }));
        }

        void appRequest(int n) {
            queue.add(() -> {
                requested += n;
                pump();
            });
        }

        @SuppressWarnings("unchecked")
        private void pump() {
            while (!arrived.isEmpty()) {
                Object[] next = arrived.peek();
                if (next[1] == null) {
                    if (requested == 0) {
                        return;
                    }
                    requested--;
                    arrived.poll();
                    listener.onMessage((Q) next[0]);
                    call.request(1); // the window moves on
                } else {
                    arrived.poll();
                    ((Runnable) next[1]).run();
                }
            }
        }
    }

    /** Runs one call's events one at a time, in the order they were added, on a worker. */
    private static final class SerialQueue {
        private final WanLink.Lane lane;
        private final ConcurrentLinkedQueue<Runnable> events = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean draining = new AtomicBoolean();

        SerialQueue(WanLink.Lane lane) {
            this.lane = lane;
        }

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
