package io.cairn.store;

import java.io.IOException;
import java.nio.file.Path;

/**
 * One data directory of a node (normally one disk): its {@code segments/} folder, whether it
 * has failed, and its free space against the reserve.
 */
final class DataDirectory {

    private final int index;
    private final Path root;
    private final Path segments;
    private volatile String failure;

    DataDirectory(int index, Path root) {
        this.index = index;
        this.root = root;
        this.segments = root.resolve("segments");
    }

    int index() {
        return index;
    }

    Path root() {
        return root;
    }

    Path segments() {
        return segments;
    }

    boolean failed() {
        return failure != null;
    }

    String failure() {
        return failure;
    }

    void markFailed(String why) {
        if (failure == null) {
            failure = why;
        }
    }

    /** Free bytes above the reserve; negative when under it. Throws when the file system cannot be asked. */
    long bytesAboveReserve(SegmentIo io, StoreConfig config) throws IOException {
        long total = io.totalBytes(segments);
        long usable = io.usableBytes(segments);
        long reserve = Math.max(config.freeReserveBytes(), (long) (config.freeReserveRatio() * total));
        return usable - reserve;
    }

    @Override
    public String toString() {
        return root.toString();
    }
}
