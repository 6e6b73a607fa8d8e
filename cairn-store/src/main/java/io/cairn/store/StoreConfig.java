package io.cairn.store;

/**
 * Tunables of a {@link RocksPartitionStore}.
 *
 * @param freeReserveBytes       writes are refused when a directory's free space would drop under this
 * @param freeReserveRatio       ... or under this fraction of the directory's capacity (the larger wins)
 * @param segmentBytesMax        a segment is sealed and a new one started once it reaches this size
 * @param commitQueueWritesMax   writes waiting for the commit thread at most; callers block beyond it
 * @param commitGroupBytesMax    blob bytes one group commit gathers at most before it syncs
 * @param compactionLiveRatioMin sealed segments whose live bytes fall under this fraction are rewritten
 * @param compactionBytesPerSecond the rate at which compaction copies live records
 * @param compactionIntervalMillis how often the background compactor looks for work (0 = never on its own)
 * @param inlineBlobBytesMax     blobs up to this size live in the index instead of a segment (0 = none)
 */
public record StoreConfig(long freeReserveBytes, double freeReserveRatio, long segmentBytesMax,
        int commitQueueWritesMax, long commitGroupBytesMax, double compactionLiveRatioMin,
        long compactionBytesPerSecond, long compactionIntervalMillis, int inlineBlobBytesMax) {

    /** Reserve 1 GiB or 2%, 256 MiB segments, compaction under 50% live at 64 MiB/s, every blob in a segment. */
    public static final StoreConfig DEFAULTS = new StoreConfig(1L << 30, 0.02, 256L << 20, 4096, 32L << 20, 0.5,
            64L << 20, 10_000, 0);

    public StoreConfig {
        if (freeReserveBytes < 0) {
            throw new IllegalArgumentException("freeReserveBytes must be >= 0: " + freeReserveBytes);
        }
        if (!(freeReserveRatio >= 0 && freeReserveRatio < 1)) {
            throw new IllegalArgumentException("freeReserveRatio must be in [0, 1): " + freeReserveRatio);
        }
        if (segmentBytesMax < (1 << 20) || segmentBytesMax > (1L << 40)) {
            throw new IllegalArgumentException("segmentBytesMax must be in [1 MiB, 1 TiB]: " + segmentBytesMax);
        }
        if (commitQueueWritesMax < 1 || commitQueueWritesMax > 1 << 20) {
            throw new IllegalArgumentException("commitQueueWritesMax must be in [1, 2^20]: " + commitQueueWritesMax);
        }
        if (commitGroupBytesMax < (1 << 20) || commitGroupBytesMax > (1L << 30)) {
            throw new IllegalArgumentException("commitGroupBytesMax must be in [1 MiB, 1 GiB]: " + commitGroupBytesMax);
        }
        if (!(compactionLiveRatioMin >= 0 && compactionLiveRatioMin < 1)) {
            throw new IllegalArgumentException("compactionLiveRatioMin must be in [0, 1): " + compactionLiveRatioMin);
        }
        if (compactionBytesPerSecond < 1) {
            throw new IllegalArgumentException("compactionBytesPerSecond must be positive: " + compactionBytesPerSecond);
        }
        if (inlineBlobBytesMax < 0 || inlineBlobBytesMax > 64 * 1024) {
            throw new IllegalArgumentException("inlineBlobBytesMax must be in [0, 64 KiB]: " + inlineBlobBytesMax);
        }
        if (compactionIntervalMillis < 0) {
            throw new IllegalArgumentException("compactionIntervalMillis must be >= 0: " + compactionIntervalMillis);
        }
    }

    public StoreConfig withFreeReserve(long bytes, double ratio) {
        return new StoreConfig(bytes, ratio, segmentBytesMax, commitQueueWritesMax, commitGroupBytesMax,
                compactionLiveRatioMin, compactionBytesPerSecond, compactionIntervalMillis, inlineBlobBytesMax);
    }

    public StoreConfig withSegmentBytesMax(long bytes) {
        return new StoreConfig(freeReserveBytes, freeReserveRatio, bytes, commitQueueWritesMax, commitGroupBytesMax,
                compactionLiveRatioMin, compactionBytesPerSecond, compactionIntervalMillis, inlineBlobBytesMax);
    }

    public StoreConfig withInlineBlobBytesMax(int bytes) {
        return new StoreConfig(freeReserveBytes, freeReserveRatio, segmentBytesMax, commitQueueWritesMax,
                commitGroupBytesMax, compactionLiveRatioMin, compactionBytesPerSecond, compactionIntervalMillis, bytes);
    }

    public StoreConfig withCompaction(double liveRatioMin, long bytesPerSecond, long intervalMillis) {
        return new StoreConfig(freeReserveBytes, freeReserveRatio, segmentBytesMax, commitQueueWritesMax,
                commitGroupBytesMax, liveRatioMin, bytesPerSecond, intervalMillis, inlineBlobBytesMax);
    }
}
