package io.cairn.protocol;

import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.core.store.Mutation;
import io.cairn.core.store.StoreView;
import io.cairn.core.store.StoredRecord;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Everything one node keeps about one partition it holds (or held): the roles state machine, the
 * writes on their way to its store, and the recovery work running for it.
 */
final class PartitionReplica {

    final PartitionId id;
    final PartitionStateMachine machine;
    /**
     * As primary: the newest mutation of each key sequenced here and not yet durable here. Reads
     * that must see every sequenced write (the record a write supersedes, an adoption's check)
     * look here before the store.
     */
    final Map<String, Mutation> sequencedInFlight = new HashMap<>();
    /**
     * As primary: the versions sequenced here whose writer has not been answered yet (on their
     * way to the mirrors, or acknowledged and held while a round of consistent cuts is prepared),
     * each with the reads of it that wait for that answer (see {@link #whenAnswered}).
     */
    private final Map<Version, java.util.List<Runnable>> unanswered = new HashMap<>();
    /** Records on their way into this node's store (own writes, mirrors, pulled copies): the log is not settled while any is. */
    int writesInFlight;
    /** The peering or catch-up running for this partition, or null. */
    RecoveryJob recovery;
    /** A hand-over offer to the primary is on its way. */
    boolean handOverInFlight;
    /** A drop of this node's copy is on its way to the store. */
    boolean dropping;
    /** The {@link PartitionStateMachine#settledEpoch} last written to the store. */
    long persistedSettled = -1;

    PartitionReplica(PartitionId id, PartitionStateMachine machine) {
        this.id = id;
        this.machine = machine;
    }

    /** {@code v} was sequenced here: its writer is not answered yet. */
    void unanswered(Version v) {
        if (unanswered.putIfAbsent(v, new java.util.ArrayList<>()) != null) {
            throw new IllegalStateException(id + ": " + v + " sequenced twice");
        }
    }

    /** The writer of {@code v} has its answer (done or failed): the reads waiting for it go on. */
    void answered(Version v) {
        java.util.List<Runnable> waiting = unanswered.remove(v);
        if (waiting == null) {
            throw new IllegalStateException(id + ": " + v + " answered, but not sequenced here or answered before");
        }
        waiting.forEach(Runnable::run);
    }

    /**
     * Runs {@code then} once no version of {@code versions} sequenced here is still unanswered: a
     * read at the primary shows a write only once its writer may know it is done (or failed), so a
     * reader never sees a write that is lost with the primary before any mirror has it, nor one
     * whose acknowledgement a consistent cut holds back.
     */
    void whenAnswered(java.util.Collection<Version> versions, Runnable then) {
        java.util.List<Version> pending = versions.stream().filter(unanswered::containsKey).distinct().toList();
        if (pending.isEmpty()) {
            then.run();
            return;
        }
        int[] left = {pending.size()};
        for (Version v : pending) {
            unanswered.get(v).add(() -> {
                if (--left[0] == 0) {
                    then.run();
                }
            });
        }
    }

    /** The newest version of {@code key} here, counting writes sequenced here and not yet durable. */
    Optional<Version> version(StoreView store, String key) {
        Optional<Version> stored = store.get(id, key).map(StoredRecord::version);
        Mutation pending = sequencedInFlight.get(key);
        if (pending == null) {
            return stored;
        }
        return stored.isPresent() && stored.get().isAfter(pending.version()) ? stored : Optional.of(pending.version());
    }

    /** The newest record of {@code key} here as a log record without blob, counting writes sequenced here and not yet durable. */
    Optional<LogRecord> record(StoreView store, String key) {
        Optional<StoredRecord> stored = store.get(id, key);
        Mutation pending = sequencedInFlight.get(key);
        if (pending == null || stored.isPresent() && stored.get().version().isAfter(pending.version())) {
            return stored.map(LogRecord::of);
        }
        long length = pending.blob() == null ? 0 : pending.blob().remaining();
        return Optional.of(new LogRecord(pending.key(), pending.version(), pending.tombstone(), pending.meta(), null, length > 0, length,
                pending.blob() == null ? 0 : Checksums.crc32c(pending.blob()), false));
    }

    /** Work that recovers this partition's copy: a peering (as primary) or a catch-up (as replica). */
    interface RecoveryJob {
        /** The map epoch it was started in. */
        long epoch();

        /** Stops it: outstanding answers are ignored, its recovery permit goes back. */
        void cancel();
    }
}
