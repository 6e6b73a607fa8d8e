package io.cairn.store;

/** What one compaction pass did: segments rewritten and deleted, live bytes copied, segment bytes freed. */
public record CompactionReport(int segmentsRewritten, long bytesCopied, long bytesFreed) {}
