package io.cairn.node.replication;

import io.cairn.core.map.NodeStats;
import io.cairn.core.store.PartitionStore;
import io.cairn.core.store.StoreFullException;
import io.cairn.meta.CutLog;
import io.cairn.meta.MetaClient;
import io.cairn.meta.MetaCommand;
import io.cairn.meta.MetaResult;
import io.cairn.meta.MetaState;
import io.cairn.node.MapView;
import io.cairn.node.PeerChannels;
import io.cairn.protocol.Effect;
import io.cairn.protocol.Event;
import io.cairn.protocol.ReplicaConfig;
import io.cairn.node.MetaContact;
import io.cairn.protocol.ReplicaReport;
import io.cairn.protocol.ReplicaStateMachine;
import io.cairn.protocol.Reply;
import io.cairn.protocol.Request;
import io.cairn.protocol.StoreOp;
import io.cairn.protocol.StoreResult;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs this node's {@link ReplicaStateMachine} on real I/O: one thread takes events off a queue
 * and hands each to the state machine; the effects it returns are carried out without blocking
 * that thread — calls to peers go out on gRPC ({@link PeerChannels}), store operations run on
 * virtual threads against the {@link PartitionStore} (whose group commit batches every write
 * waiting, of one partition or many), map fetches, heartbeats and settled checks go to the meta
 * service — and each completion comes back as an event. So ordering is decided in memory and no
 * lock is held across I/O. The simulator's {@code SimHost} executes the same effects on simulated
 * parts.
 *
 * <p>A broken invariant in the state machine (an {@link IllegalStateException}, or anything else
 * it throws) stops the replica: it is logged and {@link #onHalt} is called (the node process
 * exits), rather than going on with a state that cannot be trusted.
 */
public final class ReplicaDriver implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReplicaDriver.class);
    /** How often time passes for the state machine. */
    public static final long TICK_MILLIS = 100;
    /** Requests from peers and the gateway that may wait for the loop at once; more are refused. */
    public static final int INBOUND_MAX = 16_384;

    private final String self;
    private final PartitionStore store;
    private final MapView mapView;
    private final PeerChannels peers;
    private final MetaClient meta;
    private final Runnable register;
    private final Consumer<Throwable> onHalt;
    private final ReplicaStateMachine machine;
    private final LinkedBlockingQueue<Runnable> events = new LinkedBlockingQueue<>();
    private final Thread loop;
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("replica-ticker").daemon().factory());
    private final ExecutorService io = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("replica-io").factory());
    private final AtomicBoolean running = new AtomicBoolean(true);
    /** One registration and one settled check at a time reach the meta service. */
    private final AtomicBoolean registering = new AtomicBoolean();
    private final AtomicBoolean askingSettled = new AtomicBoolean();
    private final AtomicInteger inbound = new AtomicInteger();
    private final AtomicLong nextRequest = new AtomicLong(1);
    private final Map<Long, Consumer<Reply>> waiting = new ConcurrentHashMap<>();
    private volatile ReplicaReport report;
    private final MetaContact contact;
    private final io.cairn.node.BackupLink backup;
    /** When a note about the backup site was last logged, and how many were left out since: at most one every 10 s. */
    private final AtomicLong backupNotedAt = new AtomicLong();
    private final AtomicLong backupNotesLeftOut = new AtomicLong();
    /** Told of each report as it is taken, on the ticker's thread. */
    private final java.util.List<Consumer<ReplicaReport>> reportListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile long mapEpochApplied = -1;

    /**
     * @param register registers this node with the meta service again (it forgot the node)
     * @param onHalt   called once if the state machine breaks an invariant
     */
    public ReplicaDriver(String self, ReplicaConfig config, PartitionStore store, MapView mapView, PeerChannels peers, MetaClient meta,
                         Runnable register, Consumer<Throwable> onHalt, long incarnation) {
        this(self, config, store, mapView, peers, meta, register, onHalt, incarnation, MetaContact.NONE, null);
    }

    /**
     * @param contact told of each heartbeat the meta service answers
     * @param backupOrNull where the node ships the recorded cuts ({@code config.shipping()}); null when it ships none
     */
    public ReplicaDriver(String self, ReplicaConfig config, PartitionStore store, MapView mapView, PeerChannels peers, MetaClient meta,
                         Runnable register, Consumer<Throwable> onHalt, long incarnation, MetaContact contact,
                         io.cairn.node.BackupLink backupOrNull) {
        if (config.shipping() != (backupOrNull != null)) {
            throw new IllegalArgumentException("a replica ships to a backup site exactly when it is given a link to one");
        }
        this.backup = backupOrNull;
        this.self = self;
        this.contact = contact;
        this.store = store;
        this.mapView = mapView;
        this.peers = peers;
        this.meta = meta;
        this.register = register;
        this.onHalt = onHalt;
        this.machine = new ReplicaStateMachine(self, config, store, MapView.PLACEMENT, nowMillis(), incarnation);
        this.report = machine.report();
        mapView.addListener(current -> post(new Event.MapInstalled(current.placement())));
        this.loop = Thread.ofPlatform().name("replica-" + self).unstarted(this::run);
    }

    /**
     * Starts the loop and the passing of time (heartbeats, pings, catch-up): once the node has
     * registered, so that nothing reaches the meta service for a node it does not know yet.
     * Requests that arrive before wait in the queue.
     */
    public void start() {
        loop.start();
        ticker.scheduleWithFixedDelay(() -> post(new Event.Tick()), TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
        ticker.scheduleWithFixedDelay(() -> events.add(() -> report = machine.report()), 1, 1, TimeUnit.SECONDS);
        ticker.scheduleWithFixedDelay(() -> {
            ReplicaReport r = report;
            reportListeners.forEach(l -> l.accept(r));
        }, 1, 1, TimeUnit.SECONDS);
    }

    private static long nowMillis() {
        return System.nanoTime() / 1_000_000;
    }

    // ---- what the rest of the node asks ----

    /** Calls {@code listener} with the replica's newest report every second, on the driver's ticker thread: it must not block. */
    public void onReport(Consumer<ReplicaReport> listener) {
        reportListeners.add(listener);
    }

    /** A request from a peer (or this node's gateway); {@code reply} gets the answer, on the loop thread. */
    public void received(Request request, Consumer<Reply> reply) {
        if (inbound.incrementAndGet() > INBOUND_MAX) {
            inbound.decrementAndGet();
            throw new IllegalStateException("node " + self + " has " + INBOUND_MAX + " requests waiting; refusing more");
        }
        long id = nextRequest.getAndIncrement();
        waiting.put(id, r -> {
            inbound.decrementAndGet();
            reply.accept(r);
        });
        post(new Event.Received(id, request));
    }

    /** A request of this node's own gateway (a stripe read, say), answered as a future. */
    public CompletableFuture<Reply> local(Request request) {
        CompletableFuture<Reply> answer = new CompletableFuture<>();
        received(request, answer::complete);
        return answer;
    }

    /** Figures of the replica, at most a second old (or as fresh as the last {@link #refreshReport}). */
    public ReplicaReport report() {
        return report;
    }

    /** Takes the replica's figures now (from its loop, waiting at most a second), for a metrics scrape; returns them. */
    public ReplicaReport refreshReport() {
        try {
            report = query(ReplicaStateMachine::report).get(1, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            log.info("replica figures not refreshed for this scrape: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return report;
    }

    /** Epoch of the last map the replica took in. */
    public long mapEpochApplied() {
        return mapEpochApplied;
    }

    /** Runs {@code query} on the loop thread (where the state machine may be read) and returns its answer. */
    public <T> CompletableFuture<T> query(Function<ReplicaStateMachine, T> query) {
        CompletableFuture<T> answer = new CompletableFuture<>();
        events.add(() -> {
            try {
                answer.complete(query.apply(machine));
            } catch (RuntimeException e) {
                answer.completeExceptionally(e);
            }
        });
        return answer;
    }

    // ---- the loop ----

    private void post(Event event) {
        if (running.get()) {
            events.add(() -> handle(event));
        }
    }

    private void run() {
        while (running.get()) {
            Runnable next;
            try {
                next = events.take();
            } catch (InterruptedException e) {
                return;
            }
            try {
                next.run();
            } catch (Throwable e) {
                halt(e);
                return;
            }
        }
    }

    private void handle(Event event) {
        List<Effect> effects = machine.handle(event, nowMillis());
        if (event instanceof Event.MapInstalled m) {
            mapEpochApplied = m.placement().epoch();
        }
        for (Effect effect : effects) {
            execute(effect);
        }
    }

    private void halt(Throwable e) {
        if (running.compareAndSet(true, false)) {
            log.error("replica of node {} stopped: a protocol invariant broke; the node stops rather than go on with a state it cannot trust",
                    self, e);
            onHalt.accept(e);
        }
    }

    private void execute(Effect effect) {
        switch (effect) {
            case Effect.Send s -> peers.send(s.to(), s.request(), s.timeoutMillis(),
                    reply -> post(new Event.Answered(s.call(), reply)),
                    why -> post(new Event.CallFailed(s.call(), why)));
            case Effect.Respond r -> {
                Consumer<Reply> reply = waiting.remove(r.request());
                if (reply != null) {
                    reply.accept(r.reply());
                }
            }
            case Effect.Store s -> io.execute(() -> post(new Event.StoreDone(s.token(), run(s.op()))));
            case Effect.FetchMap f -> io.execute(() -> {
                try {
                    mapView.ensureEpoch(f.epoch()); // the view's listener hands the map in
                } catch (RuntimeException e) {
                    post(new Event.MapUnavailable(e.toString()));
                }
            });
            case Effect.Heartbeat h -> io.execute(() -> heartbeat(h.stats()));
            case Effect.Register r -> {
                if (registering.compareAndSet(false, true)) {
                    io.execute(() -> {
                        try {
                            register.run();
                        } finally {
                            registering.set(false);
                        }
                    });
                }
            }
            case Effect.AskSettled a -> {
                if (askingSettled.compareAndSet(false, true)) {
                    io.execute(() -> {
                        try {
                            MetaState state = meta.read();
                            post(new Event.SettledAnswered(state.map().epoch(), state.settled()));
                        } catch (RuntimeException e) {
                            log.info("settled check: the meta service did not answer: {}", e.toString());
                        } finally {
                            askingSettled.set(false);
                        }
                    });
                }
            }
            case Effect.AskCuts a -> io.execute(() -> {
                try {
                    CutLog cuts = meta.read().cutLog();
                    post(new Event.CutsAnswered(cuts.lastRecorded(), cuts.fencedUpTo(), true, cuts.highestBoundaries(), cuts.byRound()));
                } catch (RuntimeException e) {
                    log.info("consistent cuts: the meta service did not answer: {}", e.toString());
                    post(new Event.CutsAnswered(0, 0, false, java.util.Map.of()));
                }
            });
            case Effect.RecordCut c -> io.execute(() -> {
                try {
                    MetaResult r = meta.submit(new MetaCommand.RecordCut(c.round(), CutLog.boundaries(c.boundaries()), System.currentTimeMillis()));
                    post(new Event.CutDecided(c.round(), r.ok(), true, true));
                } catch (RuntimeException e) {
                    log.info("consistent cuts: round {} not recorded: {}", c.round(), e.toString());
                    post(new Event.CutDecided(c.round(), false, false, true));
                }
            });
            case Effect.FenceCut f -> io.execute(() -> {
                long round = f.round();
                try {
                    if (round == Effect.FenceCut.NEXT_ROUND) {
                        round = meta.read().cutLog().nextRound();
                    }
                    meta.submit(new MetaCommand.FenceCut(round));
                    post(new Event.CutDecided(round, meta.read().cutLog().recorded(round), true, f.coordinator()));
                } catch (RuntimeException e) {
                    log.info("consistent cuts: round {} not fenced: {}", round, e.toString());
                    post(new Event.CutDecided(round, false, false, f.coordinator()));
                }
            });
            case Effect.AskShipped a -> backup.positions(a.partitions()).whenComplete((positions, failure) -> {
                if (failure != null) {
                    backupNote("positions not read: " + failure);
                    post(new Event.ShippedAnswered(a.token(), false, Map.of()));
                } else {
                    post(new Event.ShippedAnswered(a.token(), true, positions));
                }
            });
            case Effect.Ship sh -> backup.ship(sh.shipment()).whenComplete((decision, failure) -> {
                if (failure != null) {
                    backupNote("round " + sh.shipment().round() + " of " + sh.shipment().partition() + " not delivered: " + failure);
                    post(new Event.Shipped(sh.token(), false, false, "not delivered: " + failure));
                } else {
                    if (!decision.take()) {
                        backupNote("round " + sh.shipment().round() + " of " + sh.shipment().partition() + " refused: " + decision.why());
                    }
                    post(new Event.Shipped(sh.token(), decision.take(), decision.positionChanged(), decision.why(), decision.missing()));
                }
            });
            case Effect.Note n -> {
                switch (n.level()) {
                    case DEBUG -> log.debug("{}", n.text());
                    case INFO -> log.info("{}", n.text());
                    case WARN -> log.warn("{}", n.text());
                    case ERROR -> log.error("{}", n.text());
                }
            }
        }
    }

    private void heartbeat(NodeStats stats) {
        try {
            MetaResult r = meta.submit(new MetaCommand.Heartbeat(stats.sentAt(System.currentTimeMillis())));
            if (r.ok()) {
                contact.answered();
            }
            post(new Event.MetaAnswered(r.ok(), r.epoch(), MetaResult.NO_SUCH_NODE.equals(r.error()), r.error()));
        } catch (RuntimeException e) {
            log.warn("heartbeat failed: {}", e.toString());
            post(new Event.MetaAnswered(false, 0, false, e.toString()));
        }
    }

    /** One store operation, run on a virtual thread; its failures are answers, not exceptions. */
    private StoreResult run(StoreOp op) {
        try {
            return switch (op) {
                case StoreOp.Apply a -> new StoreResult.Applied(store.apply(a.partition(), a.mutation()));
                case StoreOp.Repair r -> new StoreResult.Repaired(store.repair(r.partition(), r.mutation()));
                case StoreOp.ReadBlob r -> new StoreResult.BlobLoaded(store.readBlob(r.partition(), r.key()));
                case StoreOp.PutLocal l -> {
                    store.putLocal(l.key(), l.value());
                    yield new StoreResult.Done();
                }
                case StoreOp.ClearUnderProtected c -> {
                    store.clearUnderProtected(c.partition(), c.upTo());
                    yield new StoreResult.Done();
                }
                case StoreOp.DropPartition d -> {
                    store.dropPartition(d.partition());
                    yield new StoreResult.Done();
                }
            };
        } catch (StoreFullException e) {
            return new StoreResult.Full(e.getMessage());
        } catch (IOException | IllegalArgumentException e) {
            log.warn("store operation {} failed: {}", op.getClass().getSimpleName(), e.toString());
            return new StoreResult.Failed(e.toString());
        }
    }

    @Override
    public void close() {
        running.set(false);
        ticker.shutdownNow();
        if (loop.isAlive()) {
            loop.interrupt();
        }
        io.shutdownNow();
    }

    /** Logs what went wrong with the backup site, at most once every 10 s (it is tried again every half second). */
    private void backupNote(String what) {
        long now = System.nanoTime();
        long last = backupNotedAt.get();
        if (last != 0 && now - last < TimeUnit.SECONDS.toNanos(10) || !backupNotedAt.compareAndSet(last, now)) {
            backupNotesLeftOut.incrementAndGet();
            return;
        }
        long leftOut = backupNotesLeftOut.getAndSet(0);
        log.info("backup site: {}{}", what, leftOut == 0 ? "" : " (and " + leftOut + " such notes in the last 10 s)");
    }
}
