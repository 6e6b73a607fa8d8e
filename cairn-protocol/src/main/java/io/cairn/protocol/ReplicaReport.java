package io.cairn.protocol;

import java.util.List;

/**
 * What a node's replica reports for status, metrics and heartbeats: gauges of the moment and
 * counters since the replica started.
 *
 * @param mapEpoch               epoch of the map taken in
 * @param partitionsRecovering   partitions held that have not settled their copy in that epoch
 * @param underProtectedRecords  records written with too few copies, counted at each partition's primary
 * @param partitionsStoredNotHeld partitions with records here that the map no longer gives this node
 * @param suspects               peers that stopped answering pings
 * @param recoveryBytesPulled    blob bytes pulled from peers (or read to rebuild blocks) for peering, catch-up and backfill
 * @param underProtectedCopied   under-protected records copied ahead of the rest of a catch-up
 * @param partitionsDropped      copies of partitions no longer held that were dropped
 * @param scrubBytes             bytes the scrub read
 * @param scrubDamaged           damaged or missing copies the scrub found
 * @param scrubRepaired          of those, the ones rewritten from a good copy
 * @param scrubPasses            passes of the scrub over everything
 * @param stripesDecoded         stripe reads that had to decode from parity
 * @param blocksRepaired         damaged blocks rewritten at their holders after a read rebuilt them
 * @param copiesRepaired         damaged copies rewritten from a peer's good copy on a read
 * @param damagedLeftOut         records a peering primary left out because no good copy could be found
 * @param adopted                records a primary adopted from former holders
 * @param stripesRolledBack      erasure-coded writes that did not complete, rolled back by a tombstone
 * @param unshippedBytes         bytes written through the partitions this node is primary of that the backup site does not have yet
 * @param partitionsWaiting      partitions this node is primary of that wait for a holder whose copy holds every acknowledged
 *                               write (the holders up have all missed writes since they last settled, and a holder is down)
 * @param peeringsWaited         peerings as primary that met no copy holding every acknowledged write, so went on waiting
 */
public record ReplicaReport(long mapEpoch, int partitionsRecovering, long underProtectedRecords, int partitionsStoredNotHeld,
                            List<String> suspects, long recoveryBytesPulled, long underProtectedCopied, long partitionsDropped,
                            long scrubBytes, long scrubDamaged, long scrubRepaired, long scrubPasses, long stripesDecoded,
                            long blocksRepaired, long copiesRepaired, long damagedLeftOut, long adopted,
                            long stripesRolledBack, long unshippedBytes, int partitionsWaiting,
                            long peeringsWaited) {

    /** The counters a replica keeps since it started. */
    static final class Counters {
        long recoveryBytesPulled;
        long underProtectedCopied;
        long partitionsDropped;
        long scrubBytes;
        long scrubDamaged;
        long scrubRepaired;
        long scrubPasses;
        long stripesDecoded;
        long blocksRepaired;
        long copiesRepaired;
        long damagedLeftOut;
        long adopted;
        long stripesRolledBack;
        long peeringsWaited;

        ReplicaReport report(long epoch, int recovering, long under, int storedNotHeld, List<String> suspects, long unshippedBytes,
                             int waiting) {
            return new ReplicaReport(epoch, recovering, under, storedNotHeld, List.copyOf(suspects), recoveryBytesPulled,
                    underProtectedCopied, partitionsDropped, scrubBytes, scrubDamaged, scrubRepaired, scrubPasses, stripesDecoded,
                    blocksRepaired, copiesRepaired, damagedLeftOut, adopted, stripesRolledBack, unshippedBytes, waiting,
                    peeringsWaited);
        }
    }
}
