package io.cairn.protocol;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.core.store.Mutation;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Consistent cuts: rounds that close, across every partition at once, a set of writes such that
 * no write outside it was acknowledged before a write inside it began. A backup site shows the
 * cluster as of such a cut, never a state no moment of the primary site had. A round:
 * <ol>
 * <li>The coordinator (the first up node of its map, by id) asks the meta service how far rounds
 *     have come, and sends {@link Request.PrepareCut} for the next round to every up node.</li>
 * <li>Each node answers with its <em>boundaries</em>: by partition, the newest version sequenced
 *     (as its primary, its own write ended or not, in this epoch or an earlier one) or held there. From its answer on it holds back the acknowledgement of
 *     every write it finishes, until it learns the round is decided.</li>
 * <li>With every answer in, the coordinator records the round's cut (the highest boundary of each
 *     partition) in the meta service, which takes it only if no equal or later round was recorded
 *     or fenced; then it tells every node with {@link Request.DecideCut}, and they let go.</li>
 * <li>A round that cannot finish (a node does not answer) is fenced in the meta service: it is
 *     never recorded, and the nodes let go. A node holding for longer than {@link
 *     #decisionTimeoutMillis} fences the round itself; so does a node that starts, which cannot
 *     know what it held before.</li>
 * </ol>
 * A write inside the cut (at or before its partition's boundary) was sequenced before its
 * primary answered, so it began before the round was decided; a write outside it was sequenced
 * after its primary answered, so it was acknowledged after every node had answered and the round
 * was decided. So no write outside the cut was acknowledged before one inside it began. The hold
 * costs a write sequenced during a round the round's remaining time: a round trip to every node
 * and one meta write. Off unless {@link ReplicaConfig#cutIntervalMillis} is set.
 */
final class Cuts {

    private final ReplicaStateMachine r;

    // ---- as a participant ----

    /** The round this node answered and has not seen decided, or -1. */
    private long prepared = -1;
    private long preparedAt;
    /** Whether this node may have answered a round before it started that is not decided: it holds until it fences. */
    private boolean unsure;
    private boolean fencing;
    /** Acknowledgements held until the round is decided. */
    private final List<Runnable> held = new ArrayList<>();
    /**
     * Whether this node knows the boundaries of the cuts recorded before it started (it sequences
     * no write until it does, and then none at or below them); true when cuts are off.
     */
    private boolean knowsFloors;
    private boolean askingFloors;
    /** By partition, the highest boundary of a recorded cut: no version at or below it is sequenced here again. */
    private final Map<PartitionId, Version> floors = new TreeMap<>();

    // ---- as the coordinator ----

    private long nextRoundAt;
    private boolean asking;
    /** The round under way, or -1. */
    private long round = -1;
    private long roundStartedAt;
    private final Set<String> waitingFor = new TreeSet<>();
    private final Map<PartitionId, Version> boundaries = new TreeMap<>();
    private boolean deciding;

    Cuts(ReplicaStateMachine replica) {
        this.r = replica;
        this.unsure = enabled();
        this.knowsFloors = !enabled();
        this.nextRoundAt = replica.now() + replica.config().cutIntervalMillis();
    }

    boolean enabled() {
        return r.config().cutIntervalMillis() > 0;
    }

    /** How long a node holds for an undecided round before it fences it. */
    long decisionTimeoutMillis() {
        return Math.max(4 * r.config().cutIntervalMillis(), r.config().heartbeatIntervalMillis());
    }

    /** Whether this node may sequence writes: it knows the recorded cuts' boundaries (see {@link #floors}). */
    boolean maySequence() {
        return knowsFloors;
    }

    /** The version of {@code p} at or below which this node sequences nothing (Version.ZERO for none). */
    Version floor(PartitionId p) {
        return floors.getOrDefault(p, Version.ZERO);
    }

    /** A finished write's acknowledgement: sent now, or held while a round is prepared here. */
    void acknowledge(Runnable send) {
        if (enabled() && (prepared >= 0 || unsure)) {
            held.add(send);
        } else {
            send.run();
        }
    }

    void tick() {
        if (!enabled()) {
            return;
        }
        if ((unsure || prepared >= 0 && r.now() - preparedAt >= decisionTimeoutMillis()) && !fencing) {
            fencing = true;
            r.emit(new Effect.FenceCut(unsure ? Effect.FenceCut.NEXT_ROUND : prepared, false));
        }
        if (!knowsFloors && !unsure && !askingFloors) {
            askingFloors = true;
            r.emit(new Effect.AskCuts());
        }
        // A round needs every node that is in; with one down, it could only hold writes back until it is fenced.
        if (round < 0 && !asking && r.now() >= nextRoundAt && coordinates(r.map())
                && participants(r.map()).stream().allMatch(NodeInfo::isUp)) {
            asking = true;
            r.emit(new Effect.AskCuts());
        }
        if (round >= 0 && !deciding && r.now() - roundStartedAt >= decisionTimeoutMillis() / 2) {
            deciding = true;
            r.note(Effect.Level.INFO, "cut round " + round + " fenced: no answer from " + waitingFor);
            r.emit(new Effect.FenceCut(round, true));
        }
    }

    /** Whether this node runs the rounds: the first up node of its map that holds data, by id. */
    boolean coordinates(ClusterMap map) {
        return map.firstUpDataNode().map(r.id()::equals).orElse(false);
    }

    /**
     * The nodes every round needs an answer from: each node that is up or in (a node that is down
     * but in may hold the only copies of acknowledged writes; a round waits for it, and is fenced,
     * until it is back or marked out). Tie-breakers hold no data.
     */
    static List<NodeInfo> participants(ClusterMap map) {
        return map.nodes().stream().filter(n -> !n.tiebreaker() && (n.isUp() || n.in())).toList();
    }

    // ---- participant ----

    void prepare(Request.PrepareCut p, ReplicaStateMachine.Responder reply) {
        if (!enabled()) {
            reply.reply(new Reply.CutPrepared(Status.ERROR, r.current().epoch(), "consistent cuts are off on " + r.id(), p.round(), Map.of()));
            return;
        }
        // Every partition with records here, and every one this node sequences for (it may have none stored yet).
        Set<PartitionId> ids = new TreeSet<>(r.store().partitions());
        r.replicas().forEach(rep -> ids.add(rep.id));
        Map<PartitionId, Version> mine = new TreeMap<>();
        for (PartitionId id : ids) {
            Version v = r.store().lastVersion(id);
            PartitionReplica rep = r.existing(id);
            if (rep != null && rep.machine.sequencedUpTo().isAfter(v)) {
                v = rep.machine.sequencedUpTo();
            }
            // A write this node sequenced whose own write has not ended, perhaps in an epoch before the
            // one it sequences in now (which counts from the versions it applied): it may land yet.
            if (rep != null) {
                for (Mutation inFlight : rep.sequencedInFlight.values()) {
                    if (inFlight.version().isAfter(v)) {
                        v = inFlight.version();
                    }
                }
            }
            if (v.isAfter(Version.ZERO)) {
                mine.put(id, v);
            }
        }
        if (prepared < p.round()) {
            if (prepared < 0) {
                preparedAt = r.now();
            }
            prepared = p.round();
        }
        reply.reply(new Reply.CutPrepared(Status.OK, r.current().epoch(), "", p.round(), mine));
    }

    void decide(Request.DecideCut d, ReplicaStateMachine.Responder reply) {
        decided(d.round());
        reply.reply(new Reply.CutDecided(Status.OK, r.current().epoch(), ""));
    }

    /** Every round up to {@code upTo} is decided: what they held goes. */
    private void decided(long upTo) {
        if (prepared >= 0 && prepared <= upTo) {
            prepared = -1;
            release();
        }
    }

    private void release() {
        if (prepared >= 0 || unsure) {
            return;
        }
        List<Runnable> out = new ArrayList<>(held);
        held.clear();
        out.forEach(Runnable::run);
    }

    /** The meta service's answer to a record or fence. */
    void metaDecided(Event.CutDecided d) {
        if (d.coordinator()) {
            if (d.round() == round && deciding) {
                finishRound(d);
            }
            return;
        }
        boolean startFence = unsure;
        fencing = false;
        if (!d.answered()) {
            return; // fenced again at the next tick
        }
        if (startFence) {
            // Every round that may have been under way when this node started is decided now; a
            // round it answered since may not be.
            unsure = false;
            decided(d.round());
            release();
            return;
        }
        decided(d.round());
    }

    // ---- coordinator ----

    void answered(Event.CutsAnswered a) {
        if (askingFloors) {
            askingFloors = false;
            if (a.answered()) {
                // After the fence at start: no cut recorded later holds a version this node sequenced before.
                a.highestBoundaries().forEach((p, v) -> floors.merge(p, v, (x, y) -> x.isAfter(y) ? x : y));
                knowsFloors = true;
                r.note(Effect.Level.INFO, "consistent cuts: the boundaries of " + floors.size() + " partitions known; writes go on");
            }
        }
        boolean mine = asking;
        asking = false;
        if (!mine || !a.answered() || round >= 0 || !coordinates(r.map())) {
            return;
        }
        round = Math.max(a.lastRecorded(), a.fencedUpTo()) + 1;
        roundStartedAt = r.now();
        deciding = false;
        boundaries.clear();
        waitingFor.clear();
        long thisRound = round;
        for (NodeInfo n : participants(r.map())) {
            waitingFor.add(n.id());
            Request.PrepareCut prepare = new Request.PrepareCut(r.current().epoch(), thisRound, r.id());
            if (n.id().equals(r.id())) {
                r.local(prepare, reply -> collected(thisRound, n.id(), reply));
            } else {
                r.call(n.id(), prepare, decisionTimeoutMillis() / 2, (reply, failure) -> collected(thisRound, n.id(), reply));
            }
        }
    }

    private void collected(long forRound, String node, Reply reply) {
        if (forRound != round || deciding || !(reply instanceof Reply.CutPrepared c) || c.status() != Status.OK) {
            return; // a failure is fenced at the round's deadline
        }
        c.boundaries().forEach((p, v) -> boundaries.merge(p, v, (a, b) -> a.isAfter(b) ? a : b));
        waitingFor.remove(node);
        if (waitingFor.isEmpty()) {
            deciding = true;
            r.emit(new Effect.RecordCut(round, Map.copyOf(boundaries)));
        }
    }

    private void finishRound(Event.CutDecided d) {
        if (!d.answered()) {
            // The meta service did not answer: fence, so that the round is decided one way.
            r.emit(new Effect.FenceCut(round, true));
            return;
        }
        long decidedRound = round;
        round = -1;
        deciding = false;
        nextRoundAt = r.now() + r.config().cutIntervalMillis();
        for (NodeInfo n : participants(r.map())) {
            Request.DecideCut decide = new Request.DecideCut(r.current().epoch(), decidedRound, d.recorded());
            if (n.id().equals(r.id())) {
                r.local(decide, reply -> { });
            } else {
                r.call(n.id(), decide, r.config().rpcTimeoutMillis(), (reply, failure) -> { });
            }
        }
    }
}
