package io.cairn.node;

/** A request the cluster could not carry out; {@link Kind} says what the caller should tell its client. */
public final class ClusterException extends RuntimeException {

    public enum Kind {
        /** No primary answered within the retry budget (nodes down, map changing). Retryable. */
        UNAVAILABLE,
        /** A node refused the write for lack of space. */
        FULL,
        /** No good copy of the data was found. */
        CORRUPT,
        /** The cluster takes no writes: a backup site not promoted. */
        READ_ONLY
    }

    private final Kind kind;

    public ClusterException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
