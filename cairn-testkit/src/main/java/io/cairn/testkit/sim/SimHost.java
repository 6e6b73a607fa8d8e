package io.cairn.testkit.sim;

import io.cairn.core.map.NodeInfo;
import io.cairn.core.placement.PlacementTable;
import io.cairn.meta.MetaResult;
import io.cairn.protocol.Effect;
import io.cairn.protocol.Event;
import io.cairn.protocol.ReplicaConfig;
import io.cairn.protocol.ReplicaStateMachine;
import io.cairn.protocol.Reply;
import io.cairn.protocol.Request;
import io.cairn.protocol.StoreOp;
import io.cairn.protocol.StoreResult;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One storage node of the simulator: the production {@link ReplicaStateMachine}, fed events and
 * its effects carried out on the simulated network, disk, meta service and clock — the
 * simulator's counterpart of the node runtime's {@code ReplicaDriver}. It adds nothing to the
 * protocol: what it does with an effect is what the runtime does, with simulated time.
 *
 * <p>A crash loses everything in memory and every write not yet synced (but a prefix of them,
 * as on a real disk); a restart builds a new replica over the same disk, as a real restart does.
 */
final class SimHost {

    static final long TICK_MILLIS = 100;
    static final long SYNC_MIN_MILLIS = 1;
    static final long SYNC_MAX_MILLIS = 8;
    static final long READ_MIN_MILLIS = 0;
    static final long READ_MAX_MILLIS = 3;
    /** How long a call to the meta service may take before it counts as unanswered. */
    static final long META_TIMEOUT_MILLIS = 2_000;
    /** How long a call to the backup site may take before it counts as failed. */
    static final long BACKUP_TIMEOUT_MILLIS = 1_500;

    final String id;
    final NodeInfo info;
    private final SimWorld world;
    private final SimNetwork network;
    private final SimMeta meta;
    private final ReplicaConfig config;
    private final Simulation sim;
    private SimStore store;
    private ReplicaStateMachine replica;
    /** Bumped at each crash: callbacks of an earlier life are ignored. */
    private int life;
    private long nextRequest = 1;
    /** The requests not answered yet, by id, with where their answer goes. */
    private final Map<Long, Inbound> inbound = new HashMap<>();

    private record Inbound(Request request, Consumer<Reply> reply) {}
    /** Each call still waiting for its answer (a call is answered or failed once). */
    private final Map<Long, Boolean> calls = new HashMap<>();
    private boolean syncScheduled;
    /** Until when every sync of this node's disk stalls (a slow disk), and for how long each. */
    long slowUntil;
    long slowSyncMillis;

    SimHost(String id, NodeInfo info, SimStore.Disk disk, SimWorld world, SimNetwork network, SimMeta meta, ReplicaConfig config,
            Simulation sim) {
        this.id = id;
        this.info = info;
        this.world = world;
        this.network = network;
        this.meta = meta;
        this.config = config;
        this.sim = sim;
        this.store = new SimStore(disk).watchedBy((p, m) -> sim.landed(id, p, m));
    }

    boolean alive() {
        return replica != null;
    }

    ReplicaStateMachine replica() {
        return replica;
    }

    SimStore store() {
        return store;
    }

    // ---- life cycle ----

    void start() {
        world.trace(id, "starts");
        if (store.closed()) {
            store = store.reopen();
        }
        replica = new ReplicaStateMachine(id, config, store, Simulation.PLACEMENT, world.now(), world.now());
        int l = life;
        register(l);
        every(TICK_MILLIS, l, () -> deliver(new Event.Tick()));
    }

    /** SIGKILL: memory is gone; of the writes not yet synced, a prefix reached the disk. */
    void crash() {
        int kept = store.crash(world.random);
        world.trace(id, "crashes (" + kept + " unsynced writes reached the disk)");
        replica = null;
        life++;
        sim.crashed(id);
        inbound.clear();
        calls.clear();
        syncScheduled = false;
    }

    private void register(int l) {
        meta.ask(id, new SimMeta.Ask.Register(info), answer -> {
            if (life == l && alive() && answer instanceof SimMeta.Answer.Result r && r.result().ok()) {
                fetchMap(l, r.result().epoch());
            }
        });
        // Start-up keeps trying until the meta service answers (StorageNode.register does the same).
        world.after(META_TIMEOUT_MILLIS, () -> {
            if (life == l && alive() && replica.epoch() == 0) {
                register(l);
            }
        });
    }

    private void every(long millis, int l, Runnable r) {
        world.after(millis, () -> {
            if (alive() && life == l) {
                r.run();
                every(millis, l, r);
            }
        });
    }

    /** Runs {@code r} later in this life only. */
    private void later(long millis, Runnable r) {
        int l = life;
        world.after(millis, () -> {
            if (alive() && life == l) {
                r.run();
            }
        });
    }

    // ---- events in, effects out ----

    void deliver(Event event) {
        if (!alive()) {
            return;
        }
        List<Effect> effects;
        try {
            effects = replica.handle(event, world.now());
        } catch (RuntimeException e) {
            sim.halted(id, e);
            crash();
            return;
        }
        for (Effect effect : effects) {
            execute(effect);
        }
    }

    /** A request from a peer or this node's gateway; {@code reply} gets the answer. */
    void receive(Request request, Consumer<Reply> reply) {
        if (!alive()) {
            return;
        }
        long id = nextRequest++;
        inbound.put(id, new Inbound(request, reply));
        deliver(new Event.Received(id, request));
    }

    /**
     * Asks the meta service; delivers what {@code event} makes of its answer, or {@code unanswered}
     * if none comes within the meta timeout.
     */
    private void askMeta(int l, SimMeta.Ask ask, java.util.function.Function<SimMeta.Answer, Event> event, Event unanswered) {
        boolean[] answered = {false};
        meta.ask(id, ask, answer -> {
            Event e = event.apply(answer);
            if (life == l && e != null && !answered[0]) {
                answered[0] = true;
                deliver(e);
            }
        });
        later(META_TIMEOUT_MILLIS, () -> {
            if (life == l && !answered[0]) {
                answered[0] = true;
                deliver(unanswered);
            }
        });
    }

    private void execute(Effect effect) {
        int l = life;
        switch (effect) {
            case Effect.Send s -> {
                calls.put(s.call(), Boolean.TRUE);
                sim.deliver(id, s.to(), s.request(), reply -> {
                    if (life == l && calls.remove(s.call()) != null) {
                        deliver(new Event.Answered(s.call(), reply));
                    }
                });
                later(s.timeoutMillis(), () -> {
                    if (calls.remove(s.call()) != null) {
                        deliver(new Event.CallFailed(s.call(), "no answer from " + s.to() + " within " + s.timeoutMillis() + " ms"));
                    }
                });
            }
            case Effect.Respond r -> {
                Inbound in = inbound.remove(r.request());
                if (in != null && in.request() instanceof Request.Apply write && r.reply() instanceof Reply.ApplyReply a && a.version() != null) {
                    sim.writeAnswered(write.partition(), a.version());
                }
                Consumer<Reply> reply = in == null ? null : in.reply();
                if (reply != null) {
                    reply.accept(r.reply());
                }
            }
            case Effect.Store s -> store(s.token(), s.op(), l);
            case Effect.FetchMap f -> fetchMap(l, f.epoch());
            case Effect.Heartbeat h -> askMeta(l, new SimMeta.Ask.Heartbeat(h.stats().sentAt(world.now())),
                    answer -> answer instanceof SimMeta.Answer.Result r
                            ? new Event.MetaAnswered(r.result().ok(), r.result().epoch(), MetaResult.NO_SUCH_NODE.equals(r.result().error()),
                                    r.result().error())
                            : null,
                    new Event.MetaAnswered(false, 0, false, "the meta service did not answer"));
            case Effect.Register r -> register(l);
            case Effect.AskSettled a -> meta.ask(id, new SimMeta.Ask.Settled(), answer -> {
                if (life == l && answer instanceof SimMeta.Answer.Settled s) {
                    deliver(new Event.SettledAnswered(s.epoch(), s.settled()));
                }
            });
            case Effect.AskCuts a -> askMeta(l, new SimMeta.Ask.Cuts(),
                    answer -> answer instanceof SimMeta.Answer.Cuts c ? new Event.CutsAnswered(c.lastRecorded(), c.fencedUpTo(), true, c.highest(), c.byRound()) : null,
                    new Event.CutsAnswered(0, 0, false, java.util.Map.of()));
            case Effect.RecordCut c -> askMeta(l, new SimMeta.Ask.RecordCut(c.round(), io.cairn.meta.CutLog.boundaries(c.boundaries())),
                    answer -> answer instanceof SimMeta.Answer.CutDecided d ? new Event.CutDecided(d.round(), d.recorded(), true, true) : null,
                    new Event.CutDecided(c.round(), false, false, true));
            case Effect.FenceCut f -> askMeta(l, new SimMeta.Ask.FenceCut(f.round()),
                    answer -> answer instanceof SimMeta.Answer.CutDecided d
                            ? new Event.CutDecided(d.round(), d.recorded(), true, f.coordinator()) : null,
                    new Event.CutDecided(f.round(), false, false, f.coordinator()));
            case Effect.AskShipped a -> {
                boolean[] answered = {false};
                sim.askBackup(a.partitions(), positions -> {
                    if (life == l && !answered[0]) {
                        answered[0] = true;
                        deliver(new Event.ShippedAnswered(a.token(), true, positions));
                    }
                });
                later(BACKUP_TIMEOUT_MILLIS, () -> {
                    if (!answered[0]) {
                        answered[0] = true;
                        deliver(new Event.ShippedAnswered(a.token(), false, java.util.Map.of()));
                    }
                });
            }
            case Effect.Ship sh -> {
                boolean[] answered = {false};
                sim.ship(id, sh.shipment(), outcome -> {
                    if (life == l && !answered[0]) {
                        answered[0] = true;
                        deliver(new Event.Shipped(sh.token(), outcome.ok(), outcome.positionChanged(), outcome.why(), outcome.missing()));
                    }
                });
                later(BACKUP_TIMEOUT_MILLIS, () -> {
                    if (!answered[0]) {
                        answered[0] = true;
                        deliver(new Event.Shipped(sh.token(), false, false, "the backup site did not answer within "
                                + BACKUP_TIMEOUT_MILLIS + " ms"));
                    }
                });
            }
            case Effect.Note n -> {
                if (n.level() == Effect.Level.ERROR) {
                    sim.noted(id, n.text());
                }
                if (world.tracing() && (n.level() != Effect.Level.DEBUG || Boolean.getBoolean("cairn.sim.debug"))) {
                    world.trace(id, n.level() + " " + n.text());
                }
            }
        }
    }

    private void fetchMap(int l, long epoch) {
        boolean[] answered = {false};
        meta.ask(id, new SimMeta.Ask.FetchMap(), answer -> {
            if (life == l && !answered[0] && answer instanceof SimMeta.Answer.Map m) {
                answered[0] = true;
                world.trace(id, "takes in map epoch " + m.map().epoch());
                deliver(new Event.MapInstalled(sim.placement(m.map())));
            }
        });
        later(META_TIMEOUT_MILLIS, () -> {
            if (!answered[0]) {
                answered[0] = true;
                deliver(new Event.MapUnavailable("the meta service did not answer"));
            }
        });
    }

    // ---- the disk ----

    private void store(long token, StoreOp op, int l) {
        if (op instanceof StoreOp.ReadBlob) {
            later(world.randomBetween(READ_MIN_MILLIS, READ_MAX_MILLIS), () -> deliver(new Event.StoreDone(token, store.run(op))));
            return;
        }
        if (op instanceof StoreOp.Apply a) {
            sim.begun(id, a.partition(), a.mutation());
        }
        store.begin(token, op);
        if (!syncScheduled) {
            syncScheduled = true;
            long latency = world.now() < slowUntil ? slowSyncMillis : world.randomBetween(SYNC_MIN_MILLIS, SYNC_MAX_MILLIS);
            later(latency, () -> {
                syncScheduled = false;
                List<SimStore.Synced> done = new ArrayList<>(store.sync());
                for (SimStore.Synced s : done) {
                    deliver(new Event.StoreDone(s.token(), s.result()));
                }
            });
        }
    }

    /** A placement table for {@code map}, computed once per epoch for every node (as each node computes the same). */
    PlacementTable placementOf(io.cairn.core.map.ClusterMap map) {
        return sim.placement(map);
    }
}
