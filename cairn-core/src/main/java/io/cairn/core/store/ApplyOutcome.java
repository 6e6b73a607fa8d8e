package io.cairn.core.store;

/** What {@link PartitionStore#apply} did with a mutation. */
public enum ApplyOutcome {
    /** The mutation is now the stored version of its key. */
    APPLIED,
    /** An equal or newer version is already stored: nothing changed. */
    STALE
}
