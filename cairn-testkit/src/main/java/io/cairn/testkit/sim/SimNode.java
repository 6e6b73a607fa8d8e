package io.cairn.testkit.sim;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeState;
import io.cairn.core.map.NodeStats;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.core.placement.PartitionPlacement;
import io.cairn.core.placement.PlacementTable;
import io.cairn.node.replication.PartitionStateMachine;
import io.cairn.node.replication.RecoveryRules;
import io.cairn.node.replication.PartitionStateMachine.Admission;
import io.cairn.node.replication.PartitionStateMachine.Effect;
import io.cairn.node.replication.PartitionStateMachine.WriteDecision;
import io.cairn.testkit.sim.SimDisk.Rec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A storage node in the simulator: the real {@link PartitionStateMachine} of every partition it
 * holds, driven the way {@code PartitionDriver} drives it (sequence and mirror as primary,
 * apply mirrors as replica, peer at epoch changes, catch up from the primary's log, repair a
 * damaged copy from a peer on read), over a {@link SimDisk} and the {@link SimWorld} network
 * instead of RocksDB and gRPC. A crash loses everything in memory and every write not yet
 * durable; a restart rebuilds the state machines from the disk, as a real restart does.
 */
final class SimNode {

    enum Status { OK, NOT_FOUND, FULL, REPLICATION_FAILED, PEERING, NOT_PRIMARY, STALE_EPOCH, CORRUPT, ERROR, TIMEOUT }

    // Node-to-node requests and their replies (the sim's counterparts of the gRPC messages).
    /** {@code onlyIfBefore}: if not null, write only while the key's version is older (an adopted record). */
    record ApplyReq(long epoch, PartitionId p, String key, byte[] value, int crc, int hops, Version onlyIfBefore) {}
    record ApplyRep(Status status, long epoch, Version version, boolean kept) {
        ApplyRep(Status status, long epoch, Version version) {
            this(status, epoch, version, false);
        }
    }
    record HandOverReq(long epoch, PartitionId p, String holder, Version after) {}
    record HandOverRep(Status status, long epoch, Version upTo, long adopted) {}
    record MirrorReq(long epoch, PartitionId p, Rec rec, String primary) {}
    record MirrorRep(Status status, long epoch) {}
    record SinceReq(long epoch, PartitionId p, Version after, int limit) {}
    record SinceRep(Status status, long epoch, Version last, List<Rec> records, boolean more, boolean unsettled) {}
    record GetReq(long epoch, PartitionId p, String key, boolean localOnly, int hops) {}
    record GetRep(Status status, long epoch, Rec rec) {}

    /** Records per page of a log pull (as in the real driver). */
    static final int LOG_PAGE_RECORDS_MAX = 512;
    static final int HOPS_MAX = 2;
    static final long RPC_TIMEOUT_MILLIS = 2_000;
    static final long TICK_MILLIS = 500;
    static final long HEARTBEAT_MILLIS = 1_000;
    /** One partition is scrubbed per this period (the real scrub is rate-limited in bytes). */
    static final long SCRUB_STEP_MILLIS = 1_000;
    /** How often a node asks whether the cluster has settled, to drop copies it no longer needs. */
    static final long RECLAIM_CHECK_MILLIS = 5_000;
    static final long SYNC_MIN_MILLIS = 1;
    static final long SYNC_MAX_MILLIS = 8;

    final String id;
    final NodeInfo info;
    final SimDisk disk;
    private final SimWorld world;
    private final Simulation sim;

    boolean alive = true;
    /** Bumped at each crash: callbacks of an earlier life are ignored. */
    private int life;
    private ClusterMap map = ClusterMap.empty();
    private PlacementTable placement;
    private long mapEpochApplied = -1;
    private final Map<PartitionId, PartitionStateMachine> slots = new HashMap<>();
    private final Set<PartitionId> peeringInFlight = new HashSet<>();
    private final Map<Long, Consumer<Object>> pending = new HashMap<>();
    private long nextRpc;
    /** Work waiting for a newer map (the real node blocks on {@code MapView.ensureEpoch}). */
    private final List<Runnable> waitingForMap = new ArrayList<>();
    private long mapRequestedAt = -1;

    SimNode(String id, NodeInfo info, SimDisk disk, SimWorld world, Simulation sim) {
        this.id = id;
        this.info = info;
        this.disk = disk;
        this.world = world;
        this.sim = sim;
    }

    // ---- life cycle ----

    void start() {
        world.trace(id, "starts");
        alive = true;
        int l = life;
        sim.meta.send(id, new SimMeta.Register(info));
        scheduleEvery(TICK_MILLIS, l, this::tick);
        scheduleEvery(HEARTBEAT_MILLIS, l, this::heartbeat);
        scheduleEvery(SCRUB_STEP_MILLIS, l, this::scrubStep);
        scheduleEvery(RECLAIM_CHECK_MILLIS, l, () -> sim.meta.send(id, new SimMeta.SettledRequest(id)));
    }

    /**
     * The meta service says whether the cluster has settled: if so, in this node's epoch, drop the
     * copies of partitions it no longer holds whose records are handed over (as
     * {@code PartitionDriver.dropCopiesNoLongerHeld}).
     */
    void onSettled(SimMeta.Settled s) {
        if (!alive || !s.settled() || s.epoch() != map.epoch() || placement == null) {
            return;
        }
        for (PartitionId p : disk.partitions()) {
            if (!RecoveryRules.mayDrop(placement.of(p), id, false, disk.lastVersion(p), handedOver(p), slots.get(p),
                    handOverInFlight.contains(p))) {
                continue;
            }
            disk.drop(p);
            slots.remove(p);
            sim.copiesDropped++;
            world.trace(id, p(p) + " copy dropped (no longer held; settled in epoch " + s.epoch() + ")");
        }
    }

    /** SIGKILL: memory is gone, so are writes not yet durable (their events check {@link #life}). */
    void crash() {
        world.trace(id, "crashes");
        alive = false;
        life++;
        map = ClusterMap.empty();
        placement = null;
        mapEpochApplied = -1;
        slots.clear();
        peeringInFlight.clear();
        handOverInFlight.clear();
        pending.clear();
        waitingForMap.clear();
        mapRequestedAt = -1;
    }

    private void scheduleEvery(long millis, int l, Runnable r) {
        world.after(millis, () -> {
            if (alive && life == l) {
                r.run();
                scheduleEvery(millis, l, r);
            }
        });
    }

    /** Runs {@code r} later in this life only. */
    private void later(long millis, Runnable r) {
        int l = life;
        world.after(millis, () -> {
            if (alive && life == l) {
                r.run();
            }
        });
    }

    /** A durable local write: made after a sync latency, unless the node crashes first. */
    private void durably(Runnable write) {
        later(world.randomBetween(SYNC_MIN_MILLIS, SYNC_MAX_MILLIS), write);
    }

    // ---- messages ----

    /** Calls {@code to} with {@code request}; {@code onReply} gets the reply, or null on timeout. */
    private void call(String to, Object request, Consumer<Object> onReply) {
        long rpc = nextRpc++;
        pending.put(rpc, onReply);
        int l = life;
        sim.deliver(id, to, request, reply -> {
            if (alive && life == l) {
                Consumer<Object> c = pending.remove(rpc);
                if (c != null) {
                    c.accept(reply);
                }
            }
        });
        later(RPC_TIMEOUT_MILLIS, () -> {
            Consumer<Object> c = pending.remove(rpc);
            if (c != null) {
                c.accept(null);
            }
        });
    }

    /** A request from another node (or this node's gateway); {@code reply} sends the answer back. */
    void receive(Object request, Consumer<Object> reply) {
        if (!alive) {
            return;
        }
        switch (request) {
            case ApplyReq r -> apply(r, reply::accept);
            case MirrorReq r -> mirror(r, reply::accept);
            case SinceReq r -> since(r, reply::accept);
            case GetReq r -> get(r, reply::accept);
            case HandOverReq r -> handOver(r, reply::accept);
            default -> throw new IllegalArgumentException("unknown request " + request);
        }
    }

    /** Defers {@code r} until a map of at least {@code epoch} is here; false if it is here already. */
    private boolean awaitEpoch(long epoch, Runnable r) {
        if (epoch <= map.epoch()) {
            return false;
        }
        if (waitingForMap.size() < 10_000) {
            waitingForMap.add(r);
        }
        noteEpoch(epoch);
        return true;
    }

    /** Another node spoke of {@code epoch}: fetch that map if it is newer than ours. */
    private void noteEpoch(long epoch) {
        if (epoch > map.epoch() && (mapRequestedAt < 0 || world.now() - mapRequestedAt > 100)) {
            mapRequestedAt = world.now();
            sim.meta.send(id, new SimMeta.MapRequest(id));
        }
    }

    // ---- map changes, ticks, heartbeats ----

    void onMap(ClusterMap next) {
        if (!alive || next.epoch() <= map.epoch()) {
            return;
        }
        world.trace(id, "takes in map epoch " + next.epoch());
        map = next;
        placement = sim.placement(next);
        for (PoolInfo pool : next.pools()) {
            for (int i = 0; i < pool.partitions(); i++) {
                PartitionId p = new PartitionId(pool.name(), i);
                List<String> up = placement.of(p).upHolders(next);
                PartitionStateMachine m = up.contains(id) || unhandedRecords(p) ? slot(p) : slots.get(p);
                if (m != null) {
                    dispatch(p, m.onMap(next.epoch(), up));
                }
            }
        }
        mapEpochApplied = next.epoch();
        List<Runnable> ready = new ArrayList<>(waitingForMap);
        waitingForMap.clear();
        ready.forEach(Runnable::run);
    }

    private void tick() {
        for (PartitionId p : new ArrayList<>(slots.keySet())) {
            PartitionStateMachine m = slots.get(p);
            dispatch(p, m.tick());
            if (m.role() == PartitionStateMachine.Role.PRIMARY && !m.active() && !peeringInFlight.contains(p)) {
                dispatch(p, new Effect.StartPeering(m.epoch(), m.upHolders().stream().filter(n -> !n.equals(id)).toList(), Version.ZERO));
            }
            offerHandOverIfStray(p, m);
        }
    }

    private void heartbeat() {
        int recovering = 0;
        for (PartitionStateMachine m : slots.values()) {
            if (m.recovering()) {
                recovering++;
            }
        }
        sim.meta.send(id, new SimMeta.Heartbeat(new NodeStats(id, disk.capacityBytes(), disk.usedBytes(), disk.full(), recovering,
                world.now(), mapEpochApplied, disk.records())));
    }

    // ---- hand-over of records of partitions this node no longer holds (as PartitionDriver) ----

    private final Set<PartitionId> handOverInFlight = new HashSet<>();

    private Version handedOver(PartitionId p) {
        return disk.getLocal("handed/" + p.pool() + "/" + p.partition()).orElse(Version.ZERO);
    }

    /** Whether this node has records of {@code p} no primary has adopted yet. */
    boolean unhandedRecords(PartitionId p) {
        return disk.lastVersion(p).isAfter(handedOver(p));
    }

    private void offerHandOverIfStray(PartitionId p, PartitionStateMachine m) {
        Version handed = handedOver(p);
        if (!RecoveryRules.offersHandOver(m, id, false, handed) || !handOverInFlight.add(p)) {
            return;
        }
        String primary = m.primary();
        call(primary, new HandOverReq(map.epoch(), p, id, handed), reply -> {
            handOverInFlight.remove(p);
            if (reply instanceof HandOverRep r) {
                noteEpoch(r.epoch());
                if (r.status() == Status.OK) {
                    world.trace(id, p(p) + " handed over to " + primary + " up to " + r.upTo() + " (" + r.adopted() + " adopted)");
                    durably(() -> disk.putLocal("handed/" + p.pool() + "/" + p.partition(), r.upTo()));
                } else {
                    world.trace(id, p(p) + " hand-over to " + primary + " refused: " + r.status());
                }
            }
        });
    }

    private void handOver(HandOverReq req, Consumer<HandOverRep> reply) {
        if (awaitEpoch(req.epoch(), () -> handOver(req, reply))) {
            return;
        }
        if (placement == null || !placement.of(req.p()).primary(map).map(id::equals).orElse(false)) {
            reply.accept(new HandOverRep(Status.NOT_PRIMARY, map.epoch(), null, 0));
            return;
        }
        if (!slot(req.p()).active()) {
            reply.accept(new HandOverRep(Status.PEERING, map.epoch(), null, 0));
            return;
        }
        adoptPage(req, req.after(), null, 0, reply);
    }

    private void adoptPage(HandOverReq req, Version cursor, Version upTo, long adopted, Consumer<HandOverRep> reply) {
        call(req.holder(), new SinceReq(map.epoch(), req.p(), cursor, LOG_PAGE_RECORDS_MAX), answer -> {
            if (!(answer instanceof SinceRep r) || r.status() != Status.OK || r.unsettled()) {
                reply.accept(new HandOverRep(Status.ERROR, map.epoch(), null, 0));
                return;
            }
            Version first = upTo == null ? r.last() : upTo;
            List<String> others = copySources(req.p());
            adoptRecords(req, r.records(), 0, others, adopted, count -> {
                if (count < 0) {
                    reply.accept(new HandOverRep(Status.ERROR, map.epoch(), null, 0));
                } else if (r.more()) {
                    adoptPage(req, r.records().getLast().version(), first, count, reply);
                } else {
                    reply.accept(new HandOverRep(Status.OK, map.epoch(), first, count));
                }
            });
        });
    }

    /** Writes anew each record newer than the local copy of its key; {@code done} gets the count adopted, or -1 on failure. */
    private void adoptRecords(HandOverReq req, List<Rec> records, int next, List<String> others, long adopted, Consumer<Long> done) {
        if (next == records.size()) {
            done.accept(adopted);
            return;
        }
        Rec rec = records.get(next);
        Optional<Rec> local = disk.get(req.p(), rec.key());
        if (local.isPresent() && !rec.version().isAfter(local.get().version())) {
            adoptRecords(req, records, next + 1, others, adopted, done);
            return;
        }
        Consumer<Rec> write = good -> {
            if (good == null) {
                sim.leftOutDamaged++;
                adoptRecords(req, records, next + 1, others, adopted, done);
                return;
            }
            apply(new ApplyReq(map.epoch(), req.p(), good.key(), good.value(), good.crc(), HOPS_MAX, good.version()), r -> {
                if (r.status() != Status.OK) {
                    done.accept(-1L);
                } else {
                    adoptRecords(req, records, next + 1, others, adopted + (r.kept() ? 0 : 1), done);
                }
            });
        };
        if (rec.intact()) {
            write.accept(rec);
        } else {
            fetchGood(req.p(), rec, others, 0, write);
        }
    }

    // ---- the scrub (as Scrubber): every copy checked in turn, damaged ones rewritten from a peer ----

    private int scrubNext;

    private void scrubStep() {
        List<PartitionId> held = slots.entrySet().stream().filter(e -> e.getValue().role() != PartitionStateMachine.Role.NONE)
                .map(Map.Entry::getKey).sorted(java.util.Comparator.comparing(PartitionId::toString)).toList();
        if (held.isEmpty()) {
            return;
        }
        PartitionId p = held.get(Math.floorMod(scrubNext++, held.size()));
        List<String> others = copySources(p);
        for (Rec r : List.copyOf(disk.records(p).values())) {
            if (!r.intact()) {
                sim.scrubFound++;
                fetchGood(p, r, others, 0, good -> {
                    if (good != null) {
                        durably(() -> {
                            if (disk.repair(p, good)) {
                                sim.repaired++;
                                world.trace(id, p(p) + " scrub rewrote " + r.key() + " at " + r.version());
                            }
                        });
                    }
                });
            }
        }
    }

    private PartitionStateMachine slot(PartitionId p) {
        return slots.computeIfAbsent(p, k -> new PartitionStateMachine(id, disk.lastVersion(k),
                disk.getLocal(cursorKey(k)).orElse(Version.ZERO)));
    }

    private static String cursorKey(PartitionId p) {
        return "cursor/" + p.pool() + "/" + p.partition();
    }

    private void dispatch(PartitionId p, Effect effect) {
        switch (effect) {
            case Effect.None none -> { }
            case Effect.StartPeering sp -> {
                if (peeringInFlight.add(p)) {
                    peer(p, sp, 0, disk.lastVersion(p));
                }
            }
            case Effect.StartCatchUp cu -> pullLog(p, cu.primary(), cu.after(), false, result -> {
                PartitionStateMachine m = slot(p);
                if (result == null) {
                    m.catchUpFailed();
                    return;
                }
                m.catchUpDone(cu.epoch(), result.upTo());
                Version cursor = m.cursor();
                durably(() -> disk.putLocal(cursorKey(p), cursor));
            });
        }
    }

    private void peer(PartitionId p, Effect.StartPeering sp, int source, Version highest) {
        if (source == sp.sources().size()) {
            PartitionStateMachine m = slot(p);
            m.peeringDone(sp.epoch(), highest);
            world.trace(id, p + " peered in epoch " + sp.epoch() + " from " + sp.sources() + ", newest version " + highest
                    + (m.active() ? "; active" : "; a newer epoch took over"));
            if (m.active()) {
                Version cursor = m.cursor();
                durably(() -> disk.putLocal(cursorKey(p), cursor));
            }
            peeringInFlight.remove(p);
            return;
        }
        pullLog(p, sp.sources().get(source), sp.after(), true, result -> {
            if (result == null) {
                peeringInFlight.remove(p); // the next tick retries
                return;
            }
            peer(p, sp, source + 1, result.highest().isAfter(highest) ? result.highest() : highest);
        });
    }

    record PullResult(Version upTo, Version highest) {}

    /**
     * Copies every record of {@code source}'s log after {@code after} that this node lacks; null on
     * failure. With {@code settled}, fails while the source has writes still on their way to
     * their mirrors (as the real driver's peering does).
     */
    private void pullLog(PartitionId p, String source, Version after, boolean settled, Consumer<PullResult> done) {
        pullPage(p, source, after, null, after, settled, done);
    }

    private void pullPage(PartitionId p, String source, Version cursor, Version upTo, Version highest, boolean settled,
                          Consumer<PullResult> done) {
        call(source, new SinceReq(map.epoch(), p, cursor, LOG_PAGE_RECORDS_MAX), reply -> {
            if (!(reply instanceof SinceRep r) || r.status() != Status.OK || settled && r.unsettled()) {
                world.trace(id, p(p) + " log pull from " + source + " failed: " + (reply == null ? "no answer"
                        : reply instanceof SinceRep r && r.status() == Status.OK ? "writes still mirroring there" : reply));
                done.accept(null);
                return;
            }
            noteEpoch(r.epoch());
            Version first = upTo == null ? r.last() : upTo;
            List<Rec> copy = new ArrayList<>();
            Version next = cursor;
            Version high = highest;
            for (Rec rec : r.records()) {
                Optional<Rec> local = disk.get(p, rec.key());
                if (local.isEmpty() || rec.version().isAfter(local.get().version())) {
                    copy.add(rec);
                }
                next = rec.version();
                if (next.isAfter(high)) {
                    high = next;
                }
            }
            Version pageEnd = next;
            Version pageHigh = high;
            copyRecords(p, source, copy, 0, new ArrayList<>(), settled, good -> durably(() -> {
                if (good == null) {
                    world.trace(id, p(p) + " log pull from " + source + " failed: no good copy of a record yet");
                    done.accept(null);
                    return;
                }
                try {
                    for (Rec rec : good) {
                        applyLocal(p, rec);
                    }
                } catch (SimDisk.FullException e) {
                    done.accept(null);
                    return;
                }
                if (r.more()) {
                    pullPage(p, source, pageEnd, first, pageHigh, settled, done);
                } else {
                    done.accept(new PullResult(first, first.isAfter(pageHigh) ? first : pageHigh));
                }
            }));
        });
    }

    /**
     * Collects good copies of {@code records} into {@code good}: as the source sent them, or, when
     * the source's copy is damaged, from another holder with a good copy of the same version (as
     * {@code PartitionDriver.fetchBlob} does). A record damaged on every reachable node is left
     * out by a peering primary ({@code leaveOut}) once no node is down and in; otherwise it fails
     * the pull ({@code then} gets null), which is retried.
     */
    private void copyRecords(PartitionId p, String source, List<Rec> records, int next, List<Rec> good, boolean leaveOut,
                             Consumer<List<Rec>> then) {
        if (next == records.size()) {
            then.accept(good);
            return;
        }
        Rec rec = records.get(next);
        if (rec.intact()) {
            good.add(rec);
            copyRecords(p, source, records, next + 1, good, leaveOut, then);
            return;
        }
        List<String> others = copySources(p).stream().filter(n -> !n.equals(source)).toList();
        fetchGood(p, rec, others, 0, found -> {
            if (found != null) {
                good.add(found);
            } else if (leaveOut && RecoveryRules.mayLeaveOutUnrecoverable(map)) {
                sim.leftOutDamaged++;
            } else {
                then.accept(null);
                return;
            }
            copyRecords(p, source, records, next + 1, good, leaveOut, then);
        });
    }

    private void fetchGood(PartitionId p, Rec damaged, List<String> holders, int next, Consumer<Rec> done) {
        if (next == holders.size()) {
            done.accept(null);
            return;
        }
        call(holders.get(next), new GetReq(map.epoch(), p, damaged.key(), true, 0), r -> {
            if (r instanceof GetRep g && g.status() == Status.OK && g.rec().version().equals(damaged.version())
                    && g.rec().crc() == damaged.crc() && g.rec().intact()) {
                done.accept(g.rec());
            } else {
                fetchGood(p, damaged, holders, next + 1, done);
            }
        });
    }

    private static String p(PartitionId p) {
        return p.pool() + "/" + p.partition();
    }

    private void applyLocal(PartitionId p, Rec rec) throws SimDisk.FullException {
        if (disk.apply(p, rec)) {
            PartitionStateMachine m = slots.get(p);
            if (m != null) {
                m.noteApplied(rec.version());
            }
        }
    }

    // ---- requests ----

    private void apply(ApplyReq req, Consumer<ApplyRep> reply) {
        if (awaitEpoch(req.epoch(), () -> apply(req, reply))) {
            return;
        }
        if (SimDisk.crc(req.value()) != req.crc()) {
            reply.accept(new ApplyRep(Status.ERROR, map.epoch(), null));
            return;
        }
        PartitionPlacement pp = placement.of(req.p());
        if (!pp.upHolders(map).contains(id)) {
            forwardApply(req, pp.primary(map).orElse(null), reply);
            return;
        }
        PartitionStateMachine m = slot(req.p());
        Version version;
        switch (m.admitWrite(req.epoch())) {
            case WriteDecision.Forward f -> {
                forwardApply(req, f.primary(), reply);
                return;
            }
            case WriteDecision.Refuse r -> {
                reply.accept(new ApplyRep(r.reason() == PartitionStateMachine.Refusal.PEERING ? Status.PEERING : Status.NOT_PRIMARY,
                        map.epoch(), null));
                return;
            }
            case WriteDecision.Sequence s -> version = s.version();
        }
        if (req.onlyIfBefore() != null) {
            Optional<Rec> existing = disk.get(req.p(), req.key());
            if (existing.isPresent() && !req.onlyIfBefore().isAfter(existing.get().version())) {
                reply.accept(new ApplyRep(Status.OK, map.epoch(), existing.get().version(), true));
                return;
            }
        }
        Rec rec = new Rec(req.key(), version, req.value(), req.crc());
        // The real primary applies (durably) under the partition lock before it mirrors: one step here.
        try {
            applyLocal(req.p(), rec);
        } catch (SimDisk.FullException e) {
            reply.accept(new ApplyRep(Status.FULL, map.epoch(), null)); // the version is spent, nothing holds it
            return;
        }
        world.trace(id, p(req.p()) + " sequences " + req.key() + " at " + version);
        sim.sequenced(req.p(), id, version, req.key(), req.value());
        m.mirroring(version);
        List<String> targets = m.mirrorTargets();
        long epoch = m.epoch();
        mirrorTo(req.p(), epoch, targets, rec, failure -> {
            m.mirrored(version);
            reply.accept(new ApplyRep(failure == null ? Status.OK : failure, map.epoch(), version));
        });
    }

    /** Sends {@code rec} to every target; {@code done} gets null when all confirmed, else the failure. */
    private void mirrorTo(PartitionId p, long epoch, List<String> targets, Rec rec, Consumer<Status> done) {
        if (targets.isEmpty()) {
            done.accept(null);
            return;
        }
        int[] answered = {0};
        Status[] failure = {null};
        for (String t : targets) {
            call(t, new MirrorReq(epoch, p, rec, id), reply -> {
                if (reply instanceof MirrorRep r) {
                    noteEpoch(r.epoch());
                    if (r.status() != Status.OK && failure[0] != Status.FULL) {
                        failure[0] = r.status() == Status.FULL ? Status.FULL : Status.REPLICATION_FAILED;
                    }
                } else if (failure[0] == null) {
                    failure[0] = Status.REPLICATION_FAILED;
                }
                if (++answered[0] == targets.size()) {
                    done.accept(failure[0]);
                }
            });
        }
    }

    private void forwardApply(ApplyReq req, String primary, Consumer<ApplyRep> reply) {
        if (primary == null || primary.equals(id)) {
            reply.accept(new ApplyRep(Status.PEERING, map.epoch(), null));
            return;
        }
        if (req.hops() >= HOPS_MAX) {
            reply.accept(new ApplyRep(Status.NOT_PRIMARY, map.epoch(), null));
            return;
        }
        call(primary, new ApplyReq(map.epoch(), req.p(), req.key(), req.value(), req.crc(), req.hops() + 1, req.onlyIfBefore()),
                r -> reply.accept(r instanceof ApplyRep a ? a : new ApplyRep(Status.TIMEOUT, map.epoch(), null)));
    }

    private void mirror(MirrorReq req, Consumer<MirrorRep> reply) {
        if (awaitEpoch(req.epoch(), () -> mirror(req, reply))) {
            return;
        }
        if (!placement.of(req.p()).upHolders(map).contains(id)) {
            reply.accept(new MirrorRep(Status.NOT_PRIMARY, map.epoch()));
            return;
        }
        Admission a = slot(req.p()).admitMirror(req.epoch(), req.primary());
        if (a != Admission.ACCEPT) {
            reply.accept(new MirrorRep(a == Admission.REFUSE_STALE_EPOCH ? Status.STALE_EPOCH : Status.NOT_PRIMARY, map.epoch()));
            return;
        }
        if (!req.rec().intact()) {
            reply.accept(new MirrorRep(Status.ERROR, map.epoch()));
            return;
        }
        durably(() -> {
            try {
                applyLocal(req.p(), req.rec());
                reply.accept(new MirrorRep(Status.OK, map.epoch()));
            } catch (SimDisk.FullException e) {
                reply.accept(new MirrorRep(Status.FULL, map.epoch()));
            }
        });
    }

    private void since(SinceReq req, Consumer<SinceRep> reply) {
        if (awaitEpoch(req.epoch(), () -> since(req, reply))) {
            return;
        }
        PartitionStateMachine m = slots.get(req.p());
        if (m != null && !m.logSettled()) {
            reply.accept(new SinceRep(Status.PEERING, map.epoch(), null, List.of(), false, false));
            return;
        }
        Version last = m != null ? m.logVisibleUpTo() : disk.lastVersion(req.p());
        int limit = Math.clamp(req.limit(), 1, LOG_PAGE_RECORDS_MAX);
        List<Rec> records = disk.since(req.p(), req.after(), limit);
        boolean more = records.size() == limit;
        List<Rec> shown = new ArrayList<>(records.size());
        for (Rec r : records) {
            if (r.version().isAfter(last)) {
                more = false;
                break;
            }
            shown.add(r);
        }
        reply.accept(new SinceRep(Status.OK, map.epoch(), last, shown, more, m != null && m.lastApplied().isAfter(last)));
    }

    private void get(GetReq req, Consumer<GetRep> reply) {
        if (req.localOnly()) {
            Optional<Rec> r = disk.get(req.p(), req.key());
            reply.accept(r.isEmpty() ? new GetRep(Status.NOT_FOUND, map.epoch(), null)
                    : r.get().intact() ? new GetRep(Status.OK, map.epoch(), r.get()) : new GetRep(Status.CORRUPT, map.epoch(), null));
            return;
        }
        if (awaitEpoch(req.epoch(), () -> get(req, reply))) {
            return;
        }
        Optional<String> primary = placement.of(req.p()).primary(map);
        if (primary.isEmpty()) {
            reply.accept(new GetRep(Status.PEERING, map.epoch(), null));
            return;
        }
        if (!primary.get().equals(id)) {
            if (req.hops() >= HOPS_MAX) {
                reply.accept(new GetRep(Status.NOT_PRIMARY, map.epoch(), null));
                return;
            }
            call(primary.get(), new GetReq(map.epoch(), req.p(), req.key(), false, req.hops() + 1),
                    r -> reply.accept(r instanceof GetRep g ? g : new GetRep(Status.TIMEOUT, map.epoch(), null)));
            return;
        }
        Admission a = slot(req.p()).admitPrimaryRead(req.epoch());
        if (a != Admission.ACCEPT) {
            reply.accept(new GetRep(a == Admission.REFUSE_PEERING ? Status.PEERING : Status.NOT_PRIMARY, map.epoch(), null));
            return;
        }
        Optional<Rec> r = disk.get(req.p(), req.key());
        if (r.isEmpty()) {
            reply.accept(new GetRep(Status.NOT_FOUND, map.epoch(), null));
        } else if (r.get().intact()) {
            reply.accept(new GetRep(Status.OK, map.epoch(), r.get()));
        } else {
            List<String> others = copySources(req.p());
            repairFromPeers(req.p(), r.get(), others, 0, reply);
        }
    }

    /** Other nodes that may have a good copy of a record of {@code p}: up holders first, then every other up node. */
    private List<String> copySources(PartitionId p) {
        return RecoveryRules.copySources(map, placement.of(p), id);
    }

    /** Fetches a good copy of {@code damaged} from the next holder that has one, and rewrites the local copy with it. */
    private void repairFromPeers(PartitionId p, Rec damaged, List<String> holders, int next, Consumer<GetRep> reply) {
        if (next == holders.size()) {
            reply.accept(new GetRep(Status.CORRUPT, map.epoch(), null));
            return;
        }
        call(holders.get(next), new GetReq(map.epoch(), p, damaged.key(), true, 0), r -> {
            if (r instanceof GetRep g && g.status() == Status.OK && g.rec().version().equals(damaged.version())
                    && g.rec().crc() == damaged.crc() && g.rec().intact()) {
                durably(() -> {
                    disk.repair(p, g.rec());
                    sim.repaired++;
                });
                reply.accept(g);
            } else {
                repairFromPeers(p, damaged, holders, next + 1, reply);
            }
        });
    }

    // ---- the gateway (what the S3 front end of this node does for a client) ----

    void clientPut(PartitionId p, String key, byte[] value, Consumer<ApplyRep> done) {
        if (placement == null) {
            done.accept(new ApplyRep(Status.PEERING, 0, null)); // no map yet
            return;
        }
        apply(new ApplyReq(map.epoch(), p, key, value, SimDisk.crc(value), 0, null), done);
    }

    void clientGet(PartitionId p, String key, Consumer<GetRep> done) {
        if (placement == null) {
            done.accept(new GetRep(Status.PEERING, 0, null));
            return;
        }
        get(new GetReq(map.epoch(), p, key, false, 0), done);
    }

    // ---- what the checks look at ----

    ClusterMap map() {
        return map;
    }

    Map<PartitionId, PartitionStateMachine> machines() {
        return slots;
    }

    NodeInfo infoAs(NodeState state) {
        return info.withState(state);
    }
}
