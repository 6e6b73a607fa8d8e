package io.cairn.store;

/** Where a blob record lives: its segment, the offset of its record header, and the whole record's length. */
record BlobLocation(long segmentId, long offset, int recordLength) {

    BlobLocation {
        if (segmentId < 1 || offset < 0 || recordLength <= 0) {
            throw new IllegalStateException("invalid blob location " + segmentId + "@" + offset + "+" + recordLength);
        }
    }

    long end() {
        return offset + recordLength;
    }
}
