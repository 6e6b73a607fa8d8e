package io.cairn.core.store;

import io.cairn.core.partition.Version;

/**
 * What is stored for a key (blob bytes not included). A record without a blob has
 * {@code blobLength} 0 and {@code blobCrc32c} 0.
 */
public record StoredRecord(String key, Version version, boolean tombstone, byte[] meta, long blobLength, int blobCrc32c) {}
