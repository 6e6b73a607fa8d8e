package io.cairn.meta;

/**
 * Which member may submit which map change. Every member of the cluster runs a gateway, and a
 * gateway submits the changes its signed admin and S3 callers ask for (buckets, users, keys,
 * draining a node, join tokens). What a node says about itself (its registration, its heartbeat
 * with its statistics and suspicions) it may say only about itself, and what the meta leader
 * decides (a node down, a new primary taking over, the degraded mode, the bootstrap) only a
 * voter may submit. So a member cannot speak for another node, nor take the leader's decisions.
 */
final class MetaSubmitters {

    private MetaSubmitters() {}

    /** Why {@code caller} may not submit {@code command}, or null if it may. Pure. */
    static String refusal(MetaCommand command, RaftCallers.Caller caller) {
        return switch (command) {
            case MetaCommand.RegisterNode c when !c.node().id().equals(caller.nodeId()) ->
                    "node " + caller.nodeId() + " cannot register node " + c.node().id();
            case MetaCommand.RegisterNode c when c.node().metaAddress() != null && !caller.voter() ->
                    "node " + caller.nodeId() + " is not a meta voter and cannot register as one";
            case MetaCommand.Heartbeat c when !c.stats().nodeId().equals(caller.nodeId()) ->
                    "node " + caller.nodeId() + " cannot heartbeat for node " + c.stats().nodeId();
            case MetaCommand.Bootstrap c when !caller.voter() -> votersOnly(command, caller);
            case MetaCommand.MarkDown c when !caller.voter() -> votersOnly(command, caller);
            case MetaCommand.ClearActing c when !caller.voter() -> votersOnly(command, caller);
            case MetaCommand.SetDegradedMode c when !caller.voter() -> votersOnly(command, caller);
            case MetaCommand.StoreClusterCaKey c when !caller.voter() ->
                    "node " + caller.nodeId() + " is not a meta voter: only voters keep the cluster CA's key";
            default -> null;
        };
    }

    private static String votersOnly(MetaCommand command, RaftCallers.Caller caller) {
        return "node " + caller.nodeId() + " is not a meta voter: " + command.getClass().getSimpleName() + " is the meta leader's";
    }
}
