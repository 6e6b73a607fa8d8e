package io.cairn.core.store;

/**
 * Space and health figures of one node's store. {@code usedBytes} counts the bytes of live
 * records (blob records and index entries); {@code records} counts stored keys, tombstones
 * included; {@code corruptionsDetected} counts damaged reads since the store was opened;
 * {@code full} is true when free space is under the configured reserve, so that writes
 * other than deletes are refused; {@code failedDataDirs} counts data directories taken out
 * of service after I/O errors.
 */
public record StoreStats(long capacityBytes, long freeBytes, long usedBytes, long records, long corruptionsDetected,
        boolean full, int failedDataDirs) {}
