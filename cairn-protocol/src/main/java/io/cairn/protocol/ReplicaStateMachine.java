package io.cairn.protocol;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeStats;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.map.StoragePolicy;
import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.core.placement.PartitionPlacement;
import io.cairn.core.placement.PlacementFunction;
import io.cairn.core.placement.PlacementTable;
import io.cairn.core.store.StoreStats;
import io.cairn.core.store.StoreView;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The replication protocol of one storage node, for every partition it holds, as pure code:
 * {@link #handle} takes an {@link Event} (a request, a reply, a store completion, a map, a tick)
 * and returns the {@link Effect}s to carry out (send, respond, write, fetch the map). It never
 * touches a socket, a file, a thread or a clock: the node runtime executes its effects on gRPC
 * and the store, the simulator on a simulated network, disk and clock, so the simulator checks
 * the very code the nodes run. Not thread-safe: one executor feeds it one event at a time.
 *
 * <p>The procedures live in files of their own, each a part of this replica: {@link WritePath}
 * (sequencing, mirroring and its fan-in, admission of mirrors), {@link ReadPath} (reads, scans,
 * the log a node shows, block repairs), {@link Recovery} (peering, catch-up and the pulls they
 * make), {@link HandOver} (records of partitions no longer held), {@link StripeReads}
 * (erasure-coded stripes), {@link Scrub}, {@link PeerWatch} (peer suspicion) and {@link Reclaim}
 * (dropping copies no longer needed).
 *
 * <p>An invariant that does not hold throws {@link IllegalStateException}: the executor stops
 * the replica rather than go on with a state it cannot trust.
 */
public final class ReplicaStateMachine {

    /** Forwarding hops a request may take before it is refused. */
    public static final int HOPS_MAX = 2;
    /** Records per page of a log pull. */
    public static final int LOG_PAGE_RECORDS_MAX = 512;
    /** Records per scan reply. */
    public static final int SCAN_RECORDS_MAX = 1000;
    /** Requests that may wait for a newer map at once; more are refused. */
    static final int PARKED_MAX = 10_000;
    /** How long to wait before asking again for a map the meta service could not give. */
    static final long MAP_RETRY_MILLIS = 200;

    private final String self;
    private final long incarnation;
    /** The newest run of each peer's process that this node has heard of (from its log pulls and mirrors). */
    private final Map<String, Long> incarnations = new HashMap<>();
    private final ReplicaConfig config;
    private final StoreView store;
    private final PlacementFunction placementFunction;

    private long now;
    private List<Effect> out = new ArrayList<>();
    private final ArrayDeque<Runnable> later = new ArrayDeque<>();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>();
    private long timerSeq;

    private PlacementTable current;
    private final TreeMap<PartitionId, PartitionReplica> partitions = new TreeMap<>();
    private final ArrayDeque<Parked> parked = new ArrayDeque<>();
    private long mapAskedFor = -1;
    /** The newest epoch any message spoke of; while it is newer than the map's, this node neither sequences nor serves as primary. */
    private long knownEpoch;
    private boolean mapFetchInFlight;

    private long nextCall = 1;
    private final Map<Long, PendingCall> calls = new HashMap<>();
    private long nextToken = 1;
    private final Map<Long, Consumer<StoreResult>> storeOps = new HashMap<>();

    final RecoveryGate gate;
    final RecoveryThrottle recoveryBytes;
    final WritePath writes;
    final ReadPath reads;
    final Recovery recovery;
    final HandOver handOver;
    final StripeReads stripes;
    final Scrub scrub;
    final PeerWatch peers;
    final ReadLeases leases;
    final Cuts cuts;
    final Shipping shipping;
    /** Whether the map before the current one, or the current one, has data in two sites or more (read leases may run). */
    private boolean leasesMayRun;
    final Reclaim reclaim;
    final ReplicaReport.Counters counters = new ReplicaReport.Counters();

    private long nextHeartbeat;
    /** When the meta service last answered a heartbeat of this node (or the node started). */
    private long lastMetaAnswer;
    /** Whether the meta service has answered a heartbeat of this node since it started. */
    private boolean metaAnswered;
    /** When the heartbeat on its way (or the last one) was sent. */
    private long heartbeatSentAt;
    /** A heartbeat is on its way to the meta service: the next waits for its answer (a slow log is not piled onto). */
    private boolean heartbeatInFlight;
    private long nextCatchUpRound;

    private record Timer(long due, long seq, Runnable action) implements Comparable<Timer> {
        @Override
        public int compareTo(Timer o) {
            return due != o.due ? Long.compare(due, o.due) : Long.compare(seq, o.seq);
        }
    }

    private record Parked(long epoch, Runnable action) {}

    private record PendingCall(String to, boolean ping, Answer answer) {}

    /** What becomes of a call: the reply, or (reply null) why there was none. */
    interface Answer {
        void on(Reply reply, String failure);
    }

    /** Where the reply to a request goes: the network, or a procedure of this replica. */
    interface Responder {
        void reply(Reply reply);
    }

    /**
     * @param self      this node's id
     * @param store     the index of this node's store, read in place
     * @param placement the placement function every node uses
     * @param nowMillis the executor's clock (monotonic milliseconds) at start
     * @param incarnation which run of this node's process this is: larger at every start (a
     *                    replica refuses mirrors from a run of a primary older than one it has
     *                    already answered a log pull of)
     */
    public ReplicaStateMachine(String self, ReplicaConfig config, StoreView store, PlacementFunction placement, long nowMillis,
                               long incarnation) {
        this.self = Objects.requireNonNull(self, "self");
        this.incarnation = incarnation;
        this.config = Objects.requireNonNull(config, "config");
        this.store = Objects.requireNonNull(store, "store");
        this.placementFunction = Objects.requireNonNull(placement, "placement");
        this.now = nowMillis;
        this.current = PlacementTable.compute(ClusterMap.empty(), placement);
        this.gate = new RecoveryGate(config.recoveryPullsMax(), later::addLast);
        this.recoveryBytes = new RecoveryThrottle(config.recoveryBytesPerSecond(), nowMillis);
        this.writes = new WritePath(this);
        this.reads = new ReadPath(this);
        this.recovery = new Recovery(this);
        this.handOver = new HandOver(this);
        this.stripes = new StripeReads(this);
        this.scrub = new Scrub(this, nowMillis);
        this.peers = new PeerWatch(this);
        this.leases = new ReadLeases(this);
        this.reclaim = new Reclaim(this);
        this.cuts = new Cuts(this);
        this.shipping = new Shipping(this);
        this.nextHeartbeat = nowMillis;
        this.lastMetaAnswer = nowMillis;
        this.nextCatchUpRound = nowMillis + config.catchUpIntervalMillis();
    }

    /** Takes in one event at time {@code nowMillis}; returns what to do about it, in order. */
    public List<Effect> handle(Event event, long nowMillis) {
        if (nowMillis > now) {
            now = nowMillis;
        }
        out = new ArrayList<>();
        switch (event) {
            case Event.Received r -> received(r.message(), reply -> out.add(new Effect.Respond(r.request(), reply)));
            case Event.Answered a -> answered(a.call(), a.reply(), null);
            case Event.CallFailed f -> answered(f.call(), null, f.why());
            case Event.StoreDone d -> {
                Consumer<StoreResult> done = storeOps.remove(d.token());
                if (done != null) {
                    done.accept(d.result());
                }
            }
            case Event.MapInstalled m -> install(m.placement());
            case Event.MapUnavailable u -> {
                mapFetchInFlight = false;
                at(now + MAP_RETRY_MILLIS, () -> {
                    if (mapAskedFor > current.epoch()) {
                        fetchMap(mapAskedFor);
                    }
                });
            }
            case Event.MetaAnswered m -> metaAnswered(m);
            case Event.SettledAnswered s -> reclaim.settled(s.epoch(), s.settled());
            case Event.CutsAnswered c -> {
                cuts.answered(c);
                shipping.cutsAnswered(c);
            }
            case Event.ShippedAnswered a -> shipping.answered(a);
            case Event.Shipped s -> shipping.shipped(s);
            case Event.CutDecided c -> cuts.metaDecided(c);
            case Event.Tick t -> tick();
        }
        runDue();
        drainLater();
        List<Effect> done = out;
        out = new ArrayList<>();
        return done;
    }

    // ---- what the executors and the checks may read ----

    public String self() {
        return self;
    }

    /** Which run of this node's process this is. */
    long incarnation() {
        return incarnation;
    }

    /**
     * {@code node} spoke from its run {@code run}. Returns false if this node has heard from a
     * newer run of it: the message is a straggler from before it restarted.
     */
    boolean noteIncarnation(String node, long run) {
        Long known = incarnations.get(node);
        if (known != null && run < known) {
            return false;
        }
        incarnations.put(node, run);
        return true;
    }

    /** The map this replica has taken in. */
    public ClusterMap map() {
        return current.map();
    }

    public long epoch() {
        return current.epoch();
    }

    /** The roles state machine of each partition this node has a replica of, by partition. */
    public Map<PartitionId, PartitionStateMachine> machines() {
        Map<PartitionId, PartitionStateMachine> m = new TreeMap<>();
        partitions.forEach((p, r) -> m.put(p, r.machine));
        return Collections.unmodifiableMap(m);
    }

    /** Figures for status, metrics and heartbeats. */
    public ReplicaReport report() {
        int recovering = 0;
        int waiting = 0;
        long under = 0;
        for (PartitionReplica r : partitions.values()) {
            if (r.machine.recovering()) {
                recovering++;
            }
            if (r.machine.stuck()) {
                waiting++;
            }
            if (r.machine.role() == PartitionStateMachine.Role.PRIMARY) {
                under += store.underProtectedMarks(r.id);
            }
        }
        int storedNotHeld = 0;
        for (PartitionId p : store.partitions()) {
            if (current.map().pool(p.pool()).isPresent() && !current.of(p).holders().contains(self)) {
                storedNotHeld++;
            }
        }
        return counters.report(current.epoch(), recovering, under, storedNotHeld, peers.suspects(now), shipping.unshippedBytes(), waiting);
    }

    /** Whether this replica has a partition's log pulls, writes or recovery work under way (the simulator waits for quiet). */
    public boolean busy() {
        return !calls.isEmpty() || !storeOps.isEmpty();
    }

    // ---- plumbing for the procedures ----

    /** How long since the meta service last answered a heartbeat of this node (or since it started). */
    long metaSilentMillis() {
        return now - lastMetaAnswer;
    }

    /** Whether the meta service has answered a heartbeat of this node since it started. */
    boolean metaAnswered() {
        return metaAnswered;
    }

    long now() {
        return now;
    }

    String id() {
        return self;
    }

    ReplicaConfig config() {
        return config;
    }

    StoreView store() {
        return store;
    }

    PlacementTable current() {
        return current;
    }

    /** Sends a request to a peer; {@code answer} gets the reply or the failure. */
    void call(String to, Request request, long timeoutMillis, Answer answer) {
        long id = nextCall++;
        calls.put(id, new PendingCall(to, request instanceof Request.Ping, answer));
        out.add(new Effect.Send(to, id, request, timeoutMillis));
    }

    /**
     * Calls waiting on a node the map now marks down fail at once: nothing waits on one holder
     * longer than it takes the cluster to take it out of the write path (a node its peers cannot
     * reach may never answer before the deadline). Pings go on: they tell when it is back.
     */
    private void failCallsToDownNodes() {
        List<Long> doomed = new ArrayList<>();
        calls.forEach((id, pending) -> {
            if (!pending.ping() && !pending.to().equals(self) && !isUp(pending.to())) {
                doomed.add(id);
            }
        });
        doomed.sort(null);
        for (long id : doomed) {
            PendingCall pending = calls.remove(id);
            pending.answer().on(null, pending.to() + " is down in map epoch " + current.epoch());
        }
    }

    private void answered(long call, Reply reply, String failure) {
        PendingCall pending = calls.remove(call);
        if (pending == null) {
            return; // an answer nobody waits for any more
        }
        if (reply != null) {
            noteEpoch(reply.epoch());
        }
        pending.answer().on(reply, failure);
    }

    /** Runs {@code op} on the store; {@code done} gets how it ended. */
    void storeOp(StoreOp op, Consumer<StoreResult> done) {
        long token = nextToken++;
        storeOps.put(token, done);
        out.add(new Effect.Store(token, op));
    }

    void emit(Effect effect) {
        out.add(effect);
    }

    void note(Effect.Level level, String text) {
        out.add(new Effect.Note(level, self + ": " + text));
    }

    /** Runs {@code action} after the event at hand (keeps call chains flat). */
    void later(Runnable action) {
        later.addLast(action);
    }

    /** Runs {@code action} at {@code dueMillis} (on the first event at or after it). */
    void at(long dueMillis, Runnable action) {
        timers.add(new Timer(dueMillis, timerSeq++, action));
    }

    private void runDue() {
        while (!timers.isEmpty() && timers.peek().due() <= now) {
            timers.poll().action().run();
            drainLater();
        }
    }

    private void drainLater() {
        Runnable r;
        while ((r = later.pollFirst()) != null) {
            r.run();
        }
    }

    /** The replica of {@code p}, created from the store if this node has none yet. */
    PartitionReplica replica(PartitionId p) {
        PartitionReplica r = partitions.get(p);
        if (r == null) {
            Version last = store.lastVersion(p);
            Version cursor = store.getLocal(cursorKey(p)).map(ReplicaStateMachine::decodeVersion).orElse(Version.ZERO);
            long settled = store.getLocal(settledKey(p)).map(ReplicaStateMachine::decodeEpoch).orElse(-1L);
            r = new PartitionReplica(p, new PartitionStateMachine(self, last, cursor, settled));
            r.persistedSettled = settled;
            partitions.put(p, r);
        }
        return r;
    }

    /** The replica of {@code p} if this node has one. */
    PartitionReplica existing(PartitionId p) {
        return partitions.get(p);
    }

    void forget(PartitionId p) {
        partitions.remove(p);
    }

    Iterable<PartitionReplica> replicas() {
        return new ArrayList<>(partitions.values());
    }

    /** The pool of {@code p} in the current map, if the map has it and the partition is in range. */
    Optional<PoolInfo> pool(PartitionId p) {
        Optional<PoolInfo> pool = current.map().pool(p.pool());
        return pool.filter(x -> p.partition() >= 0 && p.partition() < x.partitions());
    }

    boolean erasureCoded(PartitionId p) {
        return pool(p).map(x -> x.policy().kind() == StoragePolicy.Kind.ERASURE_CODED).orElse(false);
    }

    PartitionPlacement placement(PartitionId p) {
        return current.of(p);
    }

    boolean isUp(String node) {
        return current.map().node(node).map(NodeInfo::isUp).orElse(false);
    }

    /** Whether {@code node} is an up holder of {@code p} in the current map. */
    boolean isUpHolder(PartitionId p, String node) {
        return pool(p).isPresent() && current.of(p).holders().contains(node) && isUp(node);
    }

    /** Another node spoke of {@code epoch}: fetch that map if it is newer than this one. */
    void noteEpoch(long epoch) {
        if (epoch > current.epoch()) {
            knownEpoch = Math.max(knownEpoch, epoch);
            fetchMap(epoch);
        }
    }

    /**
     * Whether a newer map than this node's exists (a peer spoke of it). Then the roles this node
     * holds may be another's already: it sequences no write, admits no mirror and serves no read
     * as primary until it has that map (a primary cut off from the meta service must not go on
     * alone while a new one peers).
     */
    boolean mapBehind() {
        return knownEpoch > current.epoch();
    }

    /** The newest epoch this node knows of (the one to answer with while its map is behind). */
    long knownEpoch() {
        return Math.max(knownEpoch, current.epoch());
    }

    private void fetchMap(long epoch) {
        mapAskedFor = Math.max(mapAskedFor, epoch);
        knownEpoch = Math.max(knownEpoch, epoch);
        if (!mapFetchInFlight) {
            mapFetchInFlight = true;
            out.add(new Effect.FetchMap(mapAskedFor));
        }
    }

    /**
     * Runs {@code action} once a map of at least {@code epoch} is here; false (and nothing done) if
     * it is here already. When too many requests wait already, runs {@code overflow} instead.
     */
    boolean awaitEpoch(long epoch, Runnable action, Runnable overflow) {
        if (epoch <= current.epoch()) {
            return false;
        }
        if (parked.size() >= PARKED_MAX) {
            overflow.run();
            return true;
        }
        parked.addLast(new Parked(epoch, action));
        fetchMap(epoch);
        return true;
    }

    // ---- requests ----

    private void received(Request request, Responder reply) {
        switch (request) {
            case Request.Apply a -> writes.apply(a, reply);
            case Request.Mirror m -> writes.mirror(m, reply);
            case Request.Get g -> reads.get(g, reply);
            case Request.Scan s -> reads.scan(s, reply);
            case Request.Since s -> reads.since(s, reply);
            case Request.RepairBlock b -> reads.repairBlock(b, reply);
            case Request.HandOver h -> handOver.adopt(h, reply);
            case Request.Ping p -> {
                noteEpoch(p.epoch());
                reply.reply(new Reply.PingReply(Status.OK, current.epoch(), "", self, leases.grant(p.from(), p.epoch())));
            }
            case Request.ReadStripe s -> stripes.readForGateway(s, reply);
            case Request.PrepareCut p -> cuts.prepare(p, reply);
            case Request.DecideCut d -> cuts.decide(d, reply);
        }
    }

    /** Handles {@code request} as if it had arrived, with its reply going to {@code answer} (after the event at hand). */
    void local(Request request, Consumer<Reply> answer) {
        later(() -> received(request, r -> later(() -> answer.accept(r))));
    }

    // ---- maps ----

    private void install(PlacementTable next) {
        mapFetchInFlight = false;
        if (next.epoch() <= current.epoch()) {
            return;
        }
        boolean usedBefore = ReadLeases.inUse(current.map());
        current = next;
        leasesMayRun = usedBefore || ReadLeases.inUse(current.map());
        ClusterMap map = next.map();
        for (PoolInfo pool : map.pools()) {
            for (int i = 0; i < pool.partitions(); i++) {
                PartitionId p = new PartitionId(pool.name(), i);
                takeIn(p, pool);
            }
        }
        failCallsToDownNodes();
        writes.mapChanged();
        if (mapAskedFor > current.epoch()) {
            fetchMap(mapAskedFor);
        }
        List<Parked> ready = new ArrayList<>();
        int waiting = parked.size();
        for (int i = 0; i < waiting; i++) {
            Parked p = parked.pollFirst();
            if (p.epoch() <= current.epoch()) {
                ready.add(p);
            } else {
                parked.addLast(p);
            }
        }
        ready.forEach(p -> p.action().run());
    }

    /** Takes the current map in for one partition: roles, peering, catch-up. */
    void takeIn(PartitionId p, PoolInfo pool) {
        io.cairn.core.placement.PartitionPlacement placed = current.of(p);
        List<String> up = placed.upHolders(current.map());
        PartitionReplica r = partitions.get(p);
        if (r == null && (up.contains(self) || handOver.holdsUnhandedRecords(p, pool))) {
            if (reclaim.dropping(p)) {
                return; // taken in once the drop is done
            }
            r = replica(p);
        }
        if (r == null) {
            return;
        }
        if (r.recovery != null && r.recovery.epoch() < current.epoch()) {
            r.recovery.cancel(); // a newer epoch decides what to pull, and from whom
        }
        boolean wasActive = r.machine.active();
        long epochBefore = r.machine.epoch();
        List<String> upBefore = r.machine.upHolders();
        long holdersSince = current.map().holdersSince(p.pool(), p.partition());
        int index = up.indexOf(self);
        long upSince = index < 0 ? current.epoch() : current.map().upHolderSince(p.pool(), p.partition(), index);
        boolean everyHolderUp = up.size() == placed.holders().size();
        PartitionStateMachine.Effect effect = r.machine.onMap(current.epoch(), up, copiesWanted(pool.policy()), holdersSince, upSince,
                everyHolderUp);
        if (epochBefore < current.epoch() && r.machine.role() == PartitionStateMachine.Role.PRIMARY) {
            boolean continuous = wasActive && (current.epoch() == epochBefore + 1 || holdersSince <= epochBefore);
            if (leasesMayRun) {
                leases.primaryTakesIn(p, continuous, upBefore, up);
            }
        }
        recovery.start(r, effect);
    }

    /** Copies (replicated) or blocks (erasure-coded) a record of a pool has when every holder has it. */
    static int copiesWanted(StoragePolicy policy) {
        return policy.kind() == StoragePolicy.Kind.ERASURE_CODED ? policy.width() : policy.copies();
    }

    // ---- time ----

    private void tick() {
        if (now >= nextCatchUpRound) {
            nextCatchUpRound = now + config.catchUpIntervalMillis();
            for (PartitionReplica r : replicas()) {
                recovery.start(r, r.machine.tick());
                recovery.retryPeeringIfStuck(r);
                handOver.offerIfStray(r);
            }
            writes.retryRollBacks();
            recovery.retryReslots();
        }
        if (now >= nextHeartbeat) {
            nextHeartbeat = now + config.heartbeatIntervalMillis();
            peers.pingRound();
            if (!heartbeatInFlight) {
                heartbeatInFlight = true;
                heartbeat();
            }
        }
        failCallsToUnreachable();
        reclaim.tick();
        scrub.tick();
        cuts.tick();
        shipping.tick();
    }

    /**
     * Calls waiting on a peer that answers no pings (a suspect) fail at once while this node has
     * heard nothing from the meta service for {@link ReplicaConfig#metaSilenceMillis}: cut off
     * from the map's majority (its site cut off, say), it cannot learn that the peer was marked
     * down, so a write waiting on it could only fail at the deadline, seconds to a minute later.
     * Failing is what the deadline would do. Pings go on: they tell when the peer is back.
     */
    private void failCallsToUnreachable() {
        if (config.metaSilenceMillis() == 0 || metaSilentMillis() < config.metaSilenceMillis() || calls.isEmpty()) {
            return;
        }
        List<String> suspects = peers.suspects(now);
        if (suspects.isEmpty()) {
            return;
        }
        List<Long> doomed = new ArrayList<>();
        calls.forEach((id, pending) -> {
            if (!pending.ping() && suspects.contains(pending.to())) {
                doomed.add(id);
            }
        });
        doomed.sort(null);
        for (long id : doomed) {
            PendingCall pending = calls.remove(id);
            pending.answer().on(null, pending.to() + " answers no pings, and the meta service has not answered this node for "
                    + metaSilentMillis() + " ms: the map cannot drop " + pending.to() + " from here");
        }
    }

    private void heartbeat() {
        heartbeatSentAt = now;
        StoreStats s = store.stats();
        long capacity = config.capacityBytes() > 0 ? config.capacityBytes() : s.capacityBytes();
        ReplicaReport report = report();
        out.add(new Effect.Heartbeat(new NodeStats(self, capacity, s.usedBytes(), s.full(), report.partitionsRecovering(), 0,
                current.epoch(), s.records(), report.underProtectedRecords(), peers.suspects(now), peers.watching(),
                report.unshippedBytes())));
    }

    private void metaAnswered(Event.MetaAnswered m) {
        heartbeatInFlight = false;
        if (m.unknownNode()) {
            out.add(new Effect.Register());
        } else if (m.ok()) {
            // From its sending: the meta service's epoch then was no newer than the one it answers.
            lastMetaAnswer = Math.max(lastMetaAnswer, heartbeatSentAt);
            metaAnswered = true;
            noteEpoch(m.epoch());
        }
    }

    // ---- small durable values ----

    static String cursorKey(PartitionId p) {
        return "cursor/" + p.pool() + "/" + p.partition();
    }

    static String settledKey(PartitionId p) {
        return "settled/" + p.pool() + "/" + p.partition();
    }

    static String handedKey(PartitionId p) {
        return "handed/" + p.pool() + "/" + p.partition();
    }

    static byte[] encodeVersion(Version v) {
        return (v.epoch() + "." + v.seq()).getBytes(StandardCharsets.US_ASCII);
    }

    static Version decodeVersion(byte[] b) {
        String s = new String(b, StandardCharsets.US_ASCII);
        int dot = s.indexOf('.');
        if (dot < 0) {
            throw new IllegalStateException("stored version '" + s + "' is malformed");
        }
        return new Version(Long.parseLong(s.substring(0, dot)), Long.parseLong(s.substring(dot + 1)));
    }

    static long decodeEpoch(byte[] b) {
        String s = new String(b, StandardCharsets.US_ASCII);
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalStateException("stored epoch '" + s + "' is malformed", e);
        }
    }

    /** Keeps the epoch in which {@code rep}'s copy last settled on disk, when it moved on (a restart must not lose it, nor run ahead of it). */
    void persistSettled(PartitionReplica rep) {
        long settled = rep.machine.settledEpoch();
        if (settled <= rep.persistedSettled) {
            return;
        }
        rep.persistedSettled = settled;
        storeOp(new StoreOp.PutLocal(settledKey(rep.id), Long.toString(settled).getBytes(StandardCharsets.US_ASCII)), res -> {
            if (!(res instanceof StoreResult.Done)) {
                note(Effect.Level.WARN, "could not persist the settled epoch of " + rep.id + ": " + res);
            }
        });
    }

    void persistCursor(PartitionId p, Version v) {
        storeOp(new StoreOp.PutLocal(cursorKey(p), encodeVersion(v)), r -> {
            if (!(r instanceof StoreResult.Done)) {
                note(Effect.Level.WARN, "could not persist the cursor of " + p + ": " + r);
            }
        });
    }

    static String rootMessage(String failure) {
        return failure == null ? "no answer" : failure;
    }
}
