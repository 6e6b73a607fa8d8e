package io.cairn.protocol;

import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.core.store.Mutation;

/**
 * A call on the node's store that the protocol asks its executor to make (the index is read in
 * place through {@link io.cairn.core.store.StoreView}; blob reads and every write are effects).
 * The executor answers each with one {@link Event.StoreDone}.
 */
public sealed interface StoreOp {

    /** {@code PartitionStore.apply}: durable before it is done. Answered with {@link StoreResult.Applied}. */
    record Apply(PartitionId partition, Mutation mutation) implements StoreOp {}

    /** {@code PartitionStore.repair}: rewrite a damaged copy of the same version. Answered with {@link StoreResult.Repaired}. */
    record Repair(PartitionId partition, Mutation mutation) implements StoreOp {}

    /** {@code PartitionStore.readBlob}. Answered with {@link StoreResult.BlobLoaded}. */
    record ReadBlob(PartitionId partition, String key) implements StoreOp {}

    /** {@code PartitionStore.putLocal}, durable. Answered with {@link StoreResult.Done}. */
    record PutLocal(String key, byte[] value) implements StoreOp {}

    /** {@code PartitionStore.clearUnderProtected}. Answered with {@link StoreResult.Done}. */
    record ClearUnderProtected(PartitionId partition, Version upTo) implements StoreOp {}

    /** {@code PartitionStore.dropPartition}. Answered with {@link StoreResult.Done}. */
    record DropPartition(PartitionId partition) implements StoreOp {}
}
