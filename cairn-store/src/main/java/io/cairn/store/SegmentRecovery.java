package io.cairn.store;

/**
 * What opening the store found in its segments: how many it opened, how many bytes of
 * uncommitted tail it cut (records after the last committed end: whole ones that were
 * never acknowledged, and torn ones whose CRC32C did not match), and how many segment files
 * no committed index refers to it deleted.
 */
public record SegmentRecovery(int segmentsOpened, long tailBytesTruncated, int wholeTailRecordsDropped,
        int tornTailRecords, int orphanSegmentsDeleted) {}
