package io.cairn.protocol;

import io.cairn.core.store.ApplyOutcome;
import io.cairn.core.store.BlobRead;

/** How a {@link StoreOp} ended. */
public sealed interface StoreResult {

    record Applied(ApplyOutcome outcome) implements StoreResult {}

    /** @param rewritten false when the stored version differs (or the key is gone) */
    record Repaired(boolean rewritten) implements StoreResult {}

    record BlobLoaded(BlobRead read) implements StoreResult {}

    record Done() implements StoreResult {}

    /** The store refused the write for lack of space; nothing changed. */
    record Full(String why) implements StoreResult {}

    /** The operation failed (an I/O error, bad input); what it did is as the store's contract says for failures. */
    record Failed(String why) implements StoreResult {}
}
