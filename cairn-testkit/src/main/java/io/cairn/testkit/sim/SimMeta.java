package io.cairn.testkit.sim;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeStats;
import io.cairn.meta.ClusterMapStateMachine;
import io.cairn.meta.ActingSets;
import io.cairn.meta.FailureDetector;
import io.cairn.meta.MetaCommand;
import io.cairn.meta.MetaResult;
import io.cairn.meta.MetaState;
import io.cairn.meta.ReprotectionCheck;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The meta service in the simulator: the real {@link ClusterMapStateMachine}, {@link
 * FailureDetector} and {@link ReprotectionCheck}, run the way the meta leader runs them
 * (heartbeats feed the detector as they are applied; a periodic round marks silent nodes
 * down, marks out those down past the down-out interval when the capacity check allows, and
 * sets or clears degraded mode). The Raft group is one linearizable service here: its own
 * fault tolerance is Apache Ratis's, tested with real processes. Messages to and from it go
 * through the simulated network like any other.
 */
final class SimMeta {

    static final String ID = "meta";
    static final long ROUND_MILLIS = 500;

    record Register(NodeInfo node) {}
    record Heartbeat(NodeStats stats) {}
    record MapRequest(String nodeId) {}
    /** Whether the cluster has settled (the real {@code MetaState.settled}) in the map of {@code epoch}. */
    record Settled(long epoch, boolean settled) {}
    record SettledRequest(String nodeId) {}

    private final SimWorld world;
    private final Simulation sim;
    private final ClusterMapStateMachine machine = new ClusterMapStateMachine();
    private final FailureDetector detector;
    private final long downOutIntervalMillis;
    private final double fullRatio;
    private MetaState state = MetaState.initial();
    long markedDown;
    long markedOut;
    long actingCleared;

    SimMeta(SimWorld world, Simulation sim, long downAfterMillis, long downOutIntervalMillis, double fullRatio) {
        this.world = world;
        this.sim = sim;
        this.detector = new FailureDetector(TimeUnit.MILLISECONDS.toNanos(downAfterMillis), nanos());
        this.downOutIntervalMillis = downOutIntervalMillis;
        this.fullRatio = fullRatio;
    }

    private long nanos() {
        return TimeUnit.MILLISECONDS.toNanos(world.now());
    }

    ClusterMap map() {
        return state.map();
    }

    /** Applies a command; a new epoch goes out to every node. */
    MetaResult submit(MetaCommand command) {
        long before = state.map().epoch();
        ClusterMapStateMachine.Applied applied = machine.apply(state, command);
        state = applied.state();
        if (command instanceof MetaCommand.Heartbeat h && applied.result().ok()) {
            detector.heartbeat(h.stats().nodeId(), nanos());
        } else if (command instanceof MetaCommand.RegisterNode r) {
            detector.heartbeat(r.node().id(), nanos());
        }
        if (state.map().epoch() != before) {
            world.trace(ID, "epoch " + state.map().epoch() + " after " + command.getClass().getSimpleName()
                    + (command instanceof MetaCommand.Heartbeat h ? " " + h.stats().nodeId()
                    : command instanceof MetaCommand.MarkDown d ? " " + d.nodeId()
                    : command instanceof MetaCommand.MarkOut o ? " " + o.nodeId()
                    : command instanceof MetaCommand.RegisterNode r ? " " + r.node().id() : ""));
            for (SimNode n : sim.nodes()) {
                sendMap(n.id);
            }
        }
        return applied.result();
    }

    void start() {
        world.after(ROUND_MILLIS, this::round);
    }

    /** A node sends {@code message} to the meta service. */
    void send(String from, Object message) {
        world.send(from, ID, message, m -> receive(from, m));
    }

    private void receive(String from, Object message) {
        switch (message) {
            case Register r -> {
                submit(new MetaCommand.RegisterNode(r.node()));
                sendMap(from);
            }
            case Heartbeat h -> {
                MetaResult r = submit(new MetaCommand.Heartbeat(h.stats()));
                if (!r.ok() && MetaResult.NO_SUCH_NODE.equals(r.error())) {
                    submit(new MetaCommand.RegisterNode(sim.node(from).info));
                }
                if (h.stats().mapEpoch() < state.map().epoch()) {
                    sendMap(from);
                }
            }
            case MapRequest m -> sendMap(from);
            case SettledRequest q -> {
                Settled answer = new Settled(state.map().epoch(), state.settled());
                world.send(ID, from, answer, a -> sim.node(from).onSettled(a));
            }
            default -> throw new IllegalArgumentException("unknown meta message " + message);
        }
    }

    private void sendMap(String to) {
        ClusterMap map = state.map();
        world.send(ID, to, map, m -> sim.node(to).onMap(m));
    }

    /** One failure-detection round of the leader: the same steps as {@code MetaServer.detectFailures}. */
    private void round() {
        long now = nanos();
        ClusterMap map = state.map();
        var silent = detector.tick(now, map);
        Set<String> downLongEnough = downOutIntervalMillis == 0 ? Set.of()
                : detector.downLongerThan(now, map, TimeUnit.MILLISECONDS.toNanos(downOutIntervalMillis));
        ReprotectionCheck.Decision d = ReprotectionCheck.decide(map, state.stats(), downLongEnough, fullRatio);
        for (String nodeId : d.markOut()) {
            if (submit(new MetaCommand.MarkOut(nodeId)).ok()) {
                markedOut++;
            }
        }
        if (!Objects.equals(d.degradedReason(), state.map().degradedReason())) {
            submit(new MetaCommand.SetDegradedMode(d.degradedReason()));
        }
        var done = ActingSets.clearable(state);
        if (!done.isEmpty() && submit(new MetaCommand.ClearActing(done)).ok()) {
            actingCleared += done.size();
        }
        for (String nodeId : silent) {
            if (submit(new MetaCommand.MarkDown(nodeId)).ok()) {
                markedDown++;
            }
        }
        world.after(ROUND_MILLIS, this::round);
    }
}
