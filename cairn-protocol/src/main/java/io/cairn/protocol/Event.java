package io.cairn.protocol;

import io.cairn.core.placement.PlacementTable;

/** What happens to a node's replica: the inputs of {@link ReplicaStateMachine#handle}. */
public sealed interface Event {

    /** A request arrived (from a peer or this node's gateway); answer it with {@link Effect.Respond} of the same id. */
    record Received(long request, Request message) implements Event {}

    /** The reply to {@link Effect.Send} {@code call}. */
    record Answered(long call, Reply reply) implements Event {}

    /** {@link Effect.Send} {@code call} got no reply: the node is unreachable, or the deadline passed. */
    record CallFailed(long call, String why) implements Event {}

    /** {@link Effect.Store} {@code token} ended. */
    record StoreDone(long token, StoreResult result) implements Event {}

    /** A newer cluster map, with its placement (every node computes the same). */
    record MapInstalled(PlacementTable placement) implements Event {}

    /** A {@link Effect.FetchMap} could not reach the meta service. */
    record MapUnavailable(String why) implements Event {}

    /**
     * The meta service's answer to a heartbeat: its map epoch, or that it does not know this node,
     * or ({@code ok} false) that it could not be reached.
     */
    record MetaAnswered(boolean ok, long epoch, boolean unknownNode, String error) implements Event {}

    /** The meta service's answer to {@link Effect.AskSettled}. */
    record SettledAnswered(long epoch, boolean settled) implements Event {}

    /**
     * The meta service's answer to {@link Effect.AskCuts}: the newest round recorded, and the newest
     * fenced; {@code answered} false if it could not be reached. {@code highestBoundaries}: by
     * partition, the highest boundary of the cuts it keeps; {@code recent}: the recorded cuts it
     * keeps, by round, each with its boundaries by partition.
     */
    record CutsAnswered(long lastRecorded, long fencedUpTo, boolean answered,
                        java.util.Map<io.cairn.core.partition.PartitionId, io.cairn.core.partition.Version> highestBoundaries,
                        java.util.SortedMap<Long, java.util.Map<io.cairn.core.partition.PartitionId, io.cairn.core.partition.Version>> recent)
            implements Event {

        public CutsAnswered {
            recent = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(recent));
        }

        /** An answer without the recorded cuts' boundaries. */
        public CutsAnswered(long lastRecorded, long fencedUpTo, boolean answered,
                            java.util.Map<io.cairn.core.partition.PartitionId, io.cairn.core.partition.Version> highestBoundaries) {
            this(lastRecorded, fencedUpTo, answered, highestBoundaries, new java.util.TreeMap<>());
        }
    }

    /**
     * The backup site's answer to {@link Effect.AskShipped}: by partition, the last round shipped
     * whole (a partition it names not has had none); {@code answered} false if it could not be reached.
     */
    record ShippedAnswered(long token, boolean answered, java.util.Map<io.cairn.core.partition.PartitionId, ShipPosition> positions)
            implements Event {}

    /**
     * The backup site's answer to {@link Effect.Ship}: taken ({@code ok}), or refused or not
     * delivered, with why; {@code positionChanged}: refused because the backup's position of the
     * partition is not the one the shipment starts from; {@code missing}: keys the page took as
     * held there ({@link Shipment#held}) that are not, to be shipped whole.
     */
    record Shipped(long token, boolean ok, boolean positionChanged, String why, java.util.List<String> missing) implements Event {
        public Shipped {
            missing = java.util.List.copyOf(missing);
        }

        public Shipped(long token, boolean ok, boolean positionChanged, String why) {
            this(token, ok, positionChanged, why, java.util.List.of());
        }
    }

    /**
     * The meta service's answer to {@link Effect.RecordCut} or {@link Effect.FenceCut}: whether
     * {@code round} (the round fenced, for {@link Effect.FenceCut#NEXT_ROUND}) is recorded, now that
     * it is decided; {@code answered} false if the service could not be reached. {@code coordinator}:
     * the answer to the round's coordinator (a record, or its fence), not to a node holding for it.
     */
    record CutDecided(long round, boolean recorded, boolean answered, boolean coordinator) implements Event {}

    /** Time passes: due timers run, periodic work (catch-up, pings, heartbeats, scrub) starts. */
    record Tick() implements Event {}
}
