package io.cairn.protocol;

import io.cairn.core.map.NodeStats;

/**
 * What the protocol asks its executor to do. The node runtime carries effects out on gRPC, the
 * store and the meta service; the simulator on its simulated network, disks and meta service.
 * Every effect that expects an answer names it with an id the protocol chose, and the executor
 * answers with exactly one event carrying that id (unless the node crashes).
 */
public sealed interface Effect {

    /**
     * Send {@code request} to node {@code to}; answer with {@link Event.Answered} or, when no
     * reply comes within {@code timeoutMillis} or the node cannot be reached, {@link Event.CallFailed}.
     */
    record Send(String to, long call, Request request, long timeoutMillis) implements Effect {}

    /** Answer the request that arrived as {@link Event.Received} with this id. */
    record Respond(long request, Reply reply) implements Effect {}

    /** Run {@code op} on the store; answer with {@link Event.StoreDone}. */
    record Store(long token, StoreOp op) implements Effect {}

    /** Fetch the cluster map of at least {@code epoch}; answer with {@link Event.MapInstalled} or {@link Event.MapUnavailable}. */
    record FetchMap(long epoch) implements Effect {}

    /** Send this node's heartbeat to the meta service; answer with {@link Event.MetaAnswered}. */
    record Heartbeat(NodeStats stats) implements Effect {}

    /** The meta service does not know this node (any more): register it again. */
    record Register() implements Effect {}

    /** Ask the meta service whether the cluster has settled; answer with {@link Event.SettledAnswered}. */
    record AskSettled() implements Effect {}

    /** Ask the meta service how far consistent cuts have come; answer with {@link Event.CutsAnswered}. */
    record AskCuts() implements Effect {}

    /**
     * Record round {@code round}'s cut in the meta service, unless a later or equal round is recorded or
     * fenced; answer with {@link Event.CutDecided}.
     */
    record RecordCut(long round, java.util.Map<io.cairn.core.partition.PartitionId, io.cairn.core.partition.Version> boundaries)
            implements Effect {}

    /**
     * Fence every round up to {@code round} that is not recorded, so that it never is ({@link
     * #NEXT_ROUND}: up to the next round the meta service would take); answer with {@link
     * Event.CutDecided}. {@code coordinator}: fenced by the round's coordinator, not by a node holding for it.
     */
    record FenceCut(long round, boolean coordinator) implements Effect {
        /** Every round that may be under way now. */
        public static final long NEXT_ROUND = -1;
    }

    /**
     * Ask the backup site how far each of {@code partitions} has been shipped; answer with {@link
     * Event.ShippedAnswered} of the same token.
     */
    record AskShipped(long token, java.util.Set<io.cairn.core.partition.PartitionId> partitions) implements Effect {}

    /** Deliver one page of a partition's part of a consistent cut to the backup site; answer with {@link Event.Shipped}. */
    record Ship(long token, Shipment shipment) implements Effect {}

    /** A line for the node's log (the simulator's trace). */
    record Note(Level level, String text) implements Effect {}

    /** How loud a {@link Note} is. */
    enum Level { DEBUG, INFO, WARN, ERROR }
}
