package io.cairn.store;

import java.io.IOException;
import java.nio.ByteBuffer;

/** An open segment file: positional reads and writes, force, size and truncate. */
public interface SegmentChannel extends AutoCloseable {

    /** Writes all of src at position (advancing src). */
    void write(ByteBuffer src, long position) throws IOException;

    /** Reads until dst is full or the file ends; returns the bytes read. */
    int read(ByteBuffer dst, long position) throws IOException;

    /** Makes every byte written so far durable. */
    void force() throws IOException;

    long size() throws IOException;

    /** Cuts the file to size bytes (no-op when already shorter). */
    void truncate(long size) throws IOException;

    @Override
    void close() throws IOException;
}
