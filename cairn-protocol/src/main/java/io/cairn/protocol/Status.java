package io.cairn.protocol;

/** How a node answers a request of the node-to-node protocol (the wire's {@code Status}). */
public enum Status {
    OK,
    NOT_FOUND,
    /** The receiver is not the partition's primary in its map (see the reply's epoch). */
    NOT_PRIMARY,
    /** The sender's epoch is older than the receiver's: refresh the map and retry. */
    STALE_EPOCH,
    /** The partition is settling its history (peering); retry shortly. */
    PEERING,
    /** The stored copy failed its checksum and no good copy was found. */
    CORRUPT,
    /** The node refuses writes: no free space under its reserve. */
    FULL,
    /** A holder did not confirm the mutation; nothing was acknowledged. */
    REPLICATION_FAILED,
    ERROR,
    /** Fewer holders are up than the primary's min_copies: nothing was written. */
    TOO_FEW_COPIES
}
