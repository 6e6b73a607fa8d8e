package io.cairn.core.store;

/** The size limits every {@link PartitionStore} enforces on its input. */
public final class StoreLimits {

    /** Largest record key, in UTF-8 bytes (S3 keys are at most 1024 bytes; prefixes add a little). */
    public static final int KEY_BYTES_MAX = 2048;
    /** Largest pool name, in UTF-8 bytes. */
    public static final int POOL_NAME_BYTES_MAX = 255;
    /** Largest metadata of one record. */
    public static final int META_BYTES_MAX = 1 << 20;
    /** Largest blob of one record (data chunks are at most 8 MiB; this leaves headroom). */
    public static final int BLOB_BYTES_MAX = 16 << 20;
    /** Largest node-local value. */
    public static final int LOCAL_VALUE_BYTES_MAX = 1 << 20;
    /** Most records one {@code scan} or {@code since} call may return. */
    public static final int LIST_LIMIT_MAX = 100_000;

    private StoreLimits() {}
}
