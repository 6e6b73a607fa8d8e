package io.cairn.core.store;

import io.cairn.core.partition.Version;
import java.nio.ByteBuffer;
import java.util.Objects;

/** Result of reading a blob; corruption is a value, never a swallowed exception. */
public sealed interface BlobRead {

    /** The whole blob of the stored version, its CRC32C verified. */
    record Found(Version version, ByteBuffer data) implements BlobRead {
        public Found {
            Objects.requireNonNull(version, "version");
            Objects.requireNonNull(data, "data");
        }
    }

    /** The key is absent, a tombstone, or a record without a blob. */
    record Missing() implements BlobRead {}

    /** The stored copy is damaged or unreadable; {@code reason} says how. */
    record Corrupt(String reason) implements BlobRead {
        public Corrupt {
            Objects.requireNonNull(reason, "reason");
        }
    }
}
