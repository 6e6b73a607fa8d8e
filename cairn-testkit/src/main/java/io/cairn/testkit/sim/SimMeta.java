package io.cairn.testkit.sim;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeStats;
import io.cairn.meta.ClusterMapStateMachine;
import io.cairn.meta.FailureDetector;
import io.cairn.meta.MetaCommand;
import io.cairn.meta.MetaLeaderRound;
import io.cairn.meta.MetaResult;
import io.cairn.meta.MetaState;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The meta service in the simulator: the real {@link ClusterMapStateMachine}, {@link
 * FailureDetector} and {@link MetaLeaderRound}, driven the way a meta leader drives them
 * (heartbeats feed the detector as they arrive; every round submits what the leader decides).
 * Nodes talk to it by request and reply over the simulated network, as they talk to the Raft
 * group: they register, heartbeat, fetch maps and ask whether the cluster has settled. The group
 * is one linearizable service here (its own fault tolerance is Apache Ratis's, tested with real
 * processes), but it can be <em>unavailable</em> for a while, as while a new leader is elected:
 * it answers nothing, and the new leader then judges from scratch.
 */
final class SimMeta {

    static final long ROUND_MILLIS = 250;

    sealed interface Ask {
        record Register(NodeInfo node) implements Ask {}

        record Heartbeat(NodeStats stats) implements Ask {}

        record FetchMap() implements Ask {}

        record Settled() implements Ask {}

        record Cuts() implements Ask {}

        record RecordCut(long round, java.util.List<io.cairn.meta.CutLog.Boundary> boundaries) implements Ask {}

        /** {@code round} {@link io.cairn.protocol.Effect.FenceCut#NEXT_ROUND}: the next round the service would take. */
        record FenceCut(long round) implements Ask {}
    }

    sealed interface Answer {
        record Result(MetaResult result) implements Answer {}

        record Map(ClusterMap map) implements Answer {}

        record Settled(long epoch, boolean settled) implements Answer {}

        record Cuts(long lastRecorded, long fencedUpTo,
                    java.util.Map<io.cairn.core.partition.PartitionId, io.cairn.core.partition.Version> highest,
                    java.util.SortedMap<Long, java.util.Map<io.cairn.core.partition.PartitionId, io.cairn.core.partition.Version>> byRound)
                implements Answer {}

        record CutDecided(long round, boolean recorded) implements Answer {}
    }

    private final SimWorld world;
    private final SimNetwork network;
    private final ClusterMapStateMachine machine = new ClusterMapStateMachine();
    private final FailureDetector detector;
    private final MetaLeaderRound.Settings settings;
    private MetaState state = MetaState.initial();
    /** Every map the service has held, by epoch. */
    private final java.util.Map<Long, ClusterMap> history = new java.util.HashMap<>();
    private java.util.function.Consumer<ClusterMap> onChange = m -> { };
    private boolean unavailable;
    long markedDown;
    /** The nodes marked down while they still heartbeat, because their peers cannot reach them, in order. */
    final java.util.List<String> takenOutByPeers = new java.util.ArrayList<>();
    long markedOut;
    long actingCleared;
    long unavailableWindows;
    /** Every consistent cut recorded, in order. */
    final java.util.List<io.cairn.meta.CutLog.Cut> cutsRecorded = new java.util.ArrayList<>();
    /** When each recorded cut was recorded, and the nodes its round needed (up or in, as {@code Cuts} asks). */
    record RecordedCut(long at, java.util.Set<String> participants) {}
    final java.util.Map<Long, RecordedCut> cutRecordedAt = new java.util.HashMap<>();
    long cutsFenced;

    SimMeta(SimWorld world, SimNetwork network, long downAfterMillis, long downOutIntervalMillis, double fullRatio) {
        this.world = world;
        this.network = network;
        this.detector = new FailureDetector(TimeUnit.MILLISECONDS.toNanos(downAfterMillis), nanos());
        this.settings = new MetaLeaderRound.Settings(downOutIntervalMillis, fullRatio);
    }

    private long nanos() {
        return TimeUnit.MILLISECONDS.toNanos(world.now());
    }

    MetaState state() {
        return state;
    }

    ClusterMap map() {
        return state.map();
    }

    /** The map of {@code epoch}, or null if the service never held it. */
    ClusterMap mapAt(long epoch) {
        return history.get(epoch);
    }

    void onMapChange(java.util.function.Consumer<ClusterMap> listener) {
        this.onChange = listener;
    }

    /** Applies a command (as the Raft group would). */
    MetaResult submit(MetaCommand command) {
        long before = state.map().epoch();
        ClusterMapStateMachine.Applied applied = machine.apply(state, command);
        state = applied.state();
        if (command instanceof MetaCommand.RecordCut c) {
            if (applied.result().ok()) {
                cutsRecorded.add(new io.cairn.meta.CutLog.Cut(c.round(), c.boundaries()));
                java.util.Set<String> participants = new java.util.TreeSet<>();
                for (io.cairn.core.map.NodeInfo n : state.map().nodes()) {
                    if (!n.tiebreaker() && (n.isUp() || n.in())) {
                        participants.add(n.id());
                    }
                }
                cutRecordedAt.put(c.round(), new RecordedCut(world.now(), participants));
                world.trace(SimNetwork.META, "records cut " + c.round());
            } else {
                world.trace(SimNetwork.META, "refuses to record cut " + c.round() + ": " + applied.result().error());
            }
        } else if (command instanceof MetaCommand.FenceCut f) {
            cutsFenced++;
            world.trace(SimNetwork.META, "fences cuts up to " + f.round());
        }
        if (state.map().epoch() != before) {
            world.trace(SimNetwork.META, "epoch " + state.map().epoch() + " after " + describe(command));
            history.put(state.map().epoch(), state.map());
            onChange.accept(state.map());
        }
        return applied.result();
    }

    private static String describe(MetaCommand command) {
        return switch (command) {
            case MetaCommand.Heartbeat h -> "Heartbeat " + h.stats().nodeId();
            case MetaCommand.MarkDown d -> "MarkDown " + d.nodeId();
            case MetaCommand.MarkOut o -> "MarkOut " + o.nodeId();
            case MetaCommand.RegisterNode r -> "RegisterNode " + r.node().id();
            default -> command.getClass().getSimpleName();
        };
    }

    void start() {
        world.after(ROUND_MILLIS, this::round);
    }

    /** The service answers nothing for {@code millis}; then a new leader judges from scratch. */
    void unavailableFor(long millis) {
        if (unavailable) {
            return;
        }
        unavailable = true;
        unavailableWindows++;
        world.trace(SimNetwork.META, "unavailable for " + millis + " ms");
        world.after(millis, this::available);
    }

    void available() {
        if (unavailable) {
            unavailable = false;
            detector.restart(nanos());
            world.trace(SimNetwork.META, "available again (a new leader)");
        }
    }

    /** A node asks; {@code onAnswer} gets the reply if it comes back. */
    void ask(String from, Ask ask, Consumer<Answer> onAnswer) {
        network.request(from, SimNetwork.META, ask, a -> {
            if (unavailable) {
                return;
            }
            Answer answer = answer(a);
            network.reply(SimNetwork.META, from, answer, onAnswer);
        });
    }

    private Answer answer(Ask ask) {
        return switch (ask) {
            case Ask.Register r -> {
                MetaResult result = submit(new MetaCommand.RegisterNode(r.node()));
                detector.heartbeat(r.node().id(), nanos());
                yield new Answer.Result(result);
            }
            case Ask.Heartbeat h -> {
                detector.heartbeat(h.stats().nodeId(), nanos());
                detector.suspicions(h.stats().nodeId(), h.stats().suspects(), nanos());
                yield new Answer.Result(submit(new MetaCommand.Heartbeat(h.stats())));
            }
            case Ask.FetchMap f -> new Answer.Map(state.map());
            case Ask.Settled s -> new Answer.Settled(state.map().epoch(), state.settled());
            case Ask.Cuts c -> new Answer.Cuts(state.cutLog().lastRecorded(), state.cutLog().fencedUpTo(), state.cutLog().highestBoundaries(),
                    state.cutLog().byRound());
            case Ask.RecordCut c -> new Answer.CutDecided(c.round(), submit(new MetaCommand.RecordCut(c.round(), c.boundaries())).ok());
            case Ask.FenceCut f -> {
                long round = f.round() == io.cairn.protocol.Effect.FenceCut.NEXT_ROUND ? state.cutLog().nextRound() : f.round();
                submit(new MetaCommand.FenceCut(round));
                yield new Answer.CutDecided(round, state.cutLog().recorded(round));
            }
        };
    }

    /** One round of the leader: the same function {@code MetaServer} calls. */
    private void round() {
        if (!unavailable) {
            for (MetaLeaderRound.Step step : MetaLeaderRound.decide(state, detector, nanos(), settings)) {
                MetaResult r = submit(step.command());
                if (!r.ok()) {
                    continue;
                }
                switch (step.command()) {
                    case MetaCommand.MarkDown d -> {
                        markedDown++;
                        if (step.cause() == MetaLeaderRound.Cause.PEERS) {
                            takenOutByPeers.add(d.nodeId());
                        }
                        world.trace(SimNetwork.META, "marks " + d.nodeId() + " down: " + step.why());
                    }
                    case MetaCommand.MarkOut o -> markedOut++;
                    case MetaCommand.ClearActing c -> actingCleared += c.sets().size();
                    default -> { }
                }
            }
        }
        world.after(ROUND_MILLIS, this::round);
    }
}
