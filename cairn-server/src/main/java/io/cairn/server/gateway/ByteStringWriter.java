package io.cairn.server.gateway;

import com.google.protobuf.ByteOutput;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * Writes a {@link ByteString} to a stream from the memory it already holds.
 * {@link ByteString#writeTo(OutputStream)} copies a string over a read-only {@link ByteBuffer}
 * (a chunk read from this node's own store, which hands out read-only buffers) into one new
 * array of its whole size first: for a chunk of 4 MiB, an allocation of 4 MiB, zeroed, on every
 * GET. This writes a buffer backed by an accessible array straight from that array, and any
 * other buffer through a window of {@value #WINDOW_BYTES} bytes.
 */
final class ByteStringWriter extends ByteOutput {

    /** Bytes copied at a time from a buffer without an accessible array (direct or read-only). */
    static final int WINDOW_BYTES = 64 * 1024;

    private final OutputStream out;
    private byte[] window;

    private ByteStringWriter(OutputStream out) {
        this.out = out;
    }

    /** Writes all of {@code bytes} to {@code out}. */
    static void write(ByteString bytes, OutputStream out) throws IOException {
        UnsafeByteOperations.unsafeWriteTo(bytes, new ByteStringWriter(out));
    }

    @Override
    public void write(byte value) throws IOException {
        out.write(value);
    }

    @Override
    public void write(byte[] value, int offset, int length) throws IOException {
        out.write(value, offset, length);
    }

    @Override
    public void writeLazy(byte[] value, int offset, int length) throws IOException {
        out.write(value, offset, length);
    }

    @Override
    public void write(ByteBuffer value) throws IOException {
        if (value.hasArray()) {
            out.write(value.array(), value.arrayOffset() + value.position(), value.remaining());
            value.position(value.limit());
            return;
        }
        int wanted = Math.min(WINDOW_BYTES, value.remaining());
        if (window == null || window.length < wanted) {
            window = new byte[wanted];
        }
        while (value.hasRemaining()) {
            int n = Math.min(window.length, value.remaining());
            value.get(window, 0, n);
            out.write(window, 0, n);
        }
    }

    @Override
    public void writeLazy(ByteBuffer value) throws IOException {
        write(value);
    }
}
