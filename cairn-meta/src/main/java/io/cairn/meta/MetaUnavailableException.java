package io.cairn.meta;

/** The meta Raft group could not be reached or had no leader within the client's time limit. */
public class MetaUnavailableException extends RuntimeException {

    public MetaUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    public MetaUnavailableException(String message) {
        super(message);
    }
}
