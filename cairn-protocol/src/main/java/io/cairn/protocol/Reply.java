package io.cairn.protocol;

import io.cairn.core.partition.Version;
import java.nio.ByteBuffer;
import java.util.List;

/** A reply of the node-to-node protocol: a status, the responder's map epoch, and what was asked for. */
public sealed interface Reply {

    Status status();

    /** The responder's map epoch. */
    long epoch();

    /** Why, when the status is not OK (empty otherwise). */
    String message();

    /**
     * @param version  the version the mutation was sequenced at (or, when {@code kept}, the newer one already there)
     * @param previous the live record this mutation superseded (metadata only), or null
     * @param kept     an adoption ({@code onlyIfBefore}) found a version at least as new and wrote nothing
     */
    record ApplyReply(Status status, long epoch, String message, Version version, LogRecord previous, boolean kept) implements Reply {}

    record MirrorReply(Status status, long epoch, String message) implements Reply {}

    record GetReply(Status status, long epoch, String message, LogRecord record) implements Reply {}

    record ScanReply(Status status, long epoch, String message, List<LogRecord> records) implements Reply {
        public ScanReply {
            records = List.copyOf(records);
        }
    }

    /**
     * @param last          the responder's log is shown up to this version
     * @param more          another page follows
     * @param unsettled     the responder has writes on their way to disk or to their mirrors, which may
     *                      yet be acknowledged: a primary peering from it must wait and pull again
     * @param protectedUpTo set by a primary whose every holder is up and holds its log up to this
     *                      version: those records have all their copies (null otherwise)
     * @param intact        the responder's copy holds every acknowledged write, as its map ({@code
     *                      epoch}) tells ({@link PartitionStateMachine#intact})
     */
    record SinceReply(Status status, long epoch, String message, List<LogRecord> records, Version last, boolean more,
                      boolean unsettled, Version protectedUpTo, boolean intact) implements Reply {
        public SinceReply {
            records = List.copyOf(records);
        }
    }

    record RepairReply(Status status, long epoch, String message) implements Reply {}

    /**
     * @param upTo    every record the former holder has up to this version is in the partition's history
     * @param adopted records written anew (with new versions) from the former holder's copies
     */
    record HandOverReply(Status status, long epoch, String message, Version upTo, long adopted) implements Reply {}

    /** @param node the responder's node id: an address taken over by another node is not the peer */
    /** {@code lease}: the responder grants the asker a read lease in {@code epoch} ({@link ReadLeases}). */
    record PingReply(Status status, long epoch, String message, String node, boolean lease) implements Reply {
        public PingReply(Status status, long epoch, String message, String node) {
            this(status, epoch, message, node, false);
        }
    }

    /** The answer to {@link Request.PrepareCut}: by partition, the newest version sequenced or held here then. */
    record CutPrepared(Status status, long epoch, String message, long round, java.util.Map<io.cairn.core.partition.PartitionId,
            io.cairn.core.partition.Version> boundaries) implements Reply {}

    /** The answer to {@link Request.DecideCut}. */
    record CutDecided(Status status, long epoch, String message) implements Reply {}

    /** @param data the bytes asked for (null unless OK) */
    record StripeReply(Status status, long epoch, String message, ByteBuffer data) implements Reply {}
}
