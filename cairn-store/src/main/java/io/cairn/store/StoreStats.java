package io.cairn.store;

/**
 * Space and health figures of one node's store. {@code usedBytes} counts blob files and
 * tracked metadata; {@code records} counts stored keys, tombstones included;
 * {@code corruptionsDetected} counts damaged reads since the store was opened.
 */
public record StoreStats(long capacityBytes, long freeBytes, long usedBytes, long records, long corruptionsDetected) {}
