package io.cairn.node;

import io.cairn.core.partition.PartitionId;
import io.cairn.protocol.BackupLedger;
import io.cairn.protocol.ShipPosition;
import io.cairn.protocol.Shipment;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * How a node of the primary site reaches its backup site: the executor of the replication
 * protocol's {@code AskShipped} and {@code Ship} ({@link io.cairn.protocol.Shipping}). A future
 * that fails is a backup site not reached: the protocol asks again later.
 */
public interface BackupLink {

    /** The backup site's position of each partition asked about (a partition it has taken nothing of is at {@link ShipPosition#NONE}). */
    CompletableFuture<Map<PartitionId, ShipPosition>> positions(Set<PartitionId> partitions);

    /** Delivers one page; the backup site's decision on it. */
    CompletableFuture<BackupLedger.Decision> ship(Shipment page);
}
