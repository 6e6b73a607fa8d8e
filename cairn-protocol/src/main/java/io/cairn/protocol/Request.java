package io.cairn.protocol;

import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import java.nio.ByteBuffer;

/**
 * A request of the node-to-node protocol, as typed records. Every request carries the sender's
 * map epoch: a node that sees a newer one fetches that map before it answers. The gRPC adapter
 * turns them into {@code node_rpc.proto} messages and back; the simulator passes them as they are.
 */
public sealed interface Request {

    /** The sender's map epoch (0 before it has a map). */
    long epoch();

    /** The partition the request is about, or null for a node-level request. */
    PartitionId partition();

    /** Gateway or node to primary: sequence and replicate one mutation of a partition. */
    record Apply(long epoch, PartitionId partition, String key, boolean tombstone, byte[] meta, ByteBuffer blob,
                 int blobCrc32c, int hops, Version onlyIfBefore) implements Request {
        public Apply {
            blob = blob == null ? null : blob.asReadOnlyBuffer();
            meta = meta == null ? new byte[0] : meta;
        }

        Apply forwarded(long senderEpoch) {
            return new Apply(senderEpoch, partition, key, tombstone, meta, blob, blobCrc32c, hops + 1, onlyIfBefore);
        }
    }

    /** Primary to the other holders: apply a sequenced mutation. */
    record Mirror(long epoch, PartitionId partition, LogRecord record, String primary, long incarnation) implements Request {}

    /**
     * Read one record (and its blob): the authoritative copy at the primary, or the receiver's own
     * with {@code localOnly}. With {@code settled} as well, the receiver answers only if its own copy
     * holds every acknowledged write (see {@code Request.Scan}): the read a gateway falls back on
     * when a partition's primary cannot be reached. With {@code leased} as well, it answers only
     * if it also holds a running read lease from the partition's primary ({@link ReadLeases}): a
     * read as current as the primary's, which a gateway sends to a holder in its own site in
     * place of a primary in another. With {@code search} (a read of the authoritative copy), the
     * reader knows the record exists (an index entry names the chunk): a primary with no trace of
     * it asks every other up node for its own copy, and adopts a verified one ({@code ReadPath}).
     */
    record Get(long epoch, PartitionId partition, String key, boolean withBlob, boolean localOnly, int hops, boolean settled,
               boolean leased, boolean search) implements Request {
        public Get {
            if (settled && !localOnly) {
                throw new IllegalArgumentException("a settled read is a read of the receiver's own copy");
            }
            if (leased && !settled) {
                throw new IllegalArgumentException("a leased read is a settled read");
            }
            if (search && localOnly) {
                throw new IllegalArgumentException("a searching read is a read of the authoritative copy");
            }
        }

        public Get(long epoch, PartitionId partition, String key, boolean withBlob, boolean localOnly, int hops, boolean settled,
                   boolean leased) {
            this(epoch, partition, key, withBlob, localOnly, hops, settled, leased, false);
        }

        public Get(long epoch, PartitionId partition, String key, boolean withBlob, boolean localOnly, int hops, boolean settled) {
            this(epoch, partition, key, withBlob, localOnly, hops, settled, false, false);
        }

        public Get(long epoch, PartitionId partition, String key, boolean withBlob, boolean localOnly, int hops) {
            this(epoch, partition, key, withBlob, localOnly, hops, false, false, false);
        }

        Get forwarded(long senderEpoch) {
            return new Get(senderEpoch, partition, key, withBlob, localOnly, hops + 1, settled, leased, search);
        }
    }

    /**
     * Records of a partition by key order, at the primary (listings). With a {@code delimiter}
     * (empty for none), keys that share a common prefix (the scan's prefix, then up to and
     * including the first delimiter after it) come back as one record, the first under it, and
     * the scan goes on after every key under it: a listing by folders reads one record per folder.
     *
     * <p>With {@code settled}, the receiver scans its own copy, never forwards, and answers only if
     * that copy holds every acknowledged write: it is a holder of the partition in the newest map it
     * knows of (at least the sender's), and has settled its copy in that map's epoch (peered as its
     * primary, or caught up as a replica, every write since then mirrored to it). Else it refuses
     * with {@code PEERING} or {@code STALE_EPOCH}. A gateway falls back on such reads when the
     * primary cannot be reached, so reads go on before the map routes around a lost node.
     */
    record Scan(long epoch, PartitionId partition, String prefix, String afterKey, int limit, int hops, String delimiter,
                boolean settled, boolean leased) implements Request {
        public Scan {
            delimiter = delimiter == null ? "" : delimiter;
            if (leased && !settled) {
                throw new IllegalArgumentException("a leased scan is a settled scan");
            }
        }

        public Scan(long epoch, PartitionId partition, String prefix, String afterKey, int limit, int hops, String delimiter,
                    boolean settled) {
            this(epoch, partition, prefix, afterKey, limit, hops, delimiter, settled, false);
        }

        public Scan(long epoch, PartitionId partition, String prefix, String afterKey, int limit, int hops, String delimiter) {
            this(epoch, partition, prefix, afterKey, limit, hops, delimiter, false);
        }

        public Scan(long epoch, PartitionId partition, String prefix, String afterKey, int limit, int hops) {
            this(epoch, partition, prefix, afterKey, limit, hops, "");
        }

        Scan forwarded(long senderEpoch) {
            return new Scan(senderEpoch, partition, prefix, afterKey, limit, hops + 1, delimiter, settled, leased);
        }
    }

    /**
     * The receiver's log of a partition after a version (metadata only). A holder catching up
     * names itself ({@code holder}, non-empty): it holds the receiver's log up to {@code after}
     * as that log stood in {@code holderEpoch}.
     */
    record Since(long epoch, PartitionId partition, Version after, int limit, String holder, long holderEpoch,
                 boolean underProtectedOnly, String from, long incarnation) implements Request {}

    /** A reader that rebuilt a damaged erasure-coded block sends it back to its holder. */
    record RepairBlock(long epoch, PartitionId partition, LogRecord record) implements Request {}

    /** A node with records of a partition it no longer holds, to the partition's primary: adopt what you lack. */
    record HandOver(long epoch, PartitionId partition, String holder, Version after) implements Request {}

    /** A node checks a peer is there (peer suspicion). */
    record Ping(long epoch, String from) implements Request {
        @Override
        public PartitionId partition() {
            return null;
        }
    }

    /**
     * A round of consistent cuts begins ({@link Cuts}): the receiver answers with the newest version
     * sequenced or held of each partition it has records of, and from then on holds the
     * acknowledgements of its writes until it learns how the round was decided.
     */
    record PrepareCut(long epoch, long round, String coordinator) implements Request {
        @Override
        public PartitionId partition() {
            return null;
        }
    }

    /** Round {@code round} was decided: recorded in the meta service ({@code recorded}), or fenced so that it never is. */
    record DecideCut(long epoch, long round, boolean recorded) implements Request {
        @Override
        public PartitionId partition() {
            return null;
        }
    }

    /**
     * The gateway of this node reads bytes {@code [offset, offset + length)} of an erasure-coded
     * chunk whose whole length is {@code chunkLength}, from the holders of its stripe. Local: never
     * sent over the network.
     */
    record ReadStripe(long epoch, PartitionId partition, String key, int chunkLength, int offset, int length) implements Request {}
}
