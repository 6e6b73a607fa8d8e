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

    /** A line for the node's log (the simulator's trace). */
    record Note(Level level, String text) implements Effect {}

    /** How loud a {@link Note} is. */
    enum Level { DEBUG, INFO, WARN, ERROR }
}
