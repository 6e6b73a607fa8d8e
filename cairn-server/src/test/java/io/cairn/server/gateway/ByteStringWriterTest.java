package io.cairn.server.gateway;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class ByteStringWriterTest {

    private static final byte[] BYTES = new byte[300_000];

    static {
        new Random(7).nextBytes(BYTES);
    }

    /** Records the arrays it was handed, and the bytes. */
    private static final class Recording extends OutputStream {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final List<byte[]> arrays = new ArrayList<>();
        int largestWrite;

        @Override
        public void write(int b) {
            bytes.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            arrays.add(b);
            largestWrite = Math.max(largestWrite, len);
            bytes.write(b, off, len);
        }
    }

    private static Recording written(ByteString s) throws IOException {
        Recording out = new Recording();
        ByteStringWriter.write(s, out);
        return out;
    }

    @Test
    void aStringOverAHeapBufferIsWrittenFromThatBuffersArray() throws IOException {
        byte[] backing = BYTES.clone();
        Recording out = written(UnsafeByteOperations.unsafeWrap(ByteBuffer.wrap(backing)));
        assertThat(out.bytes.toByteArray()).isEqualTo(BYTES);
        assertThat(out.arrays.size()).isEqualTo(1);
        assertThat(out.arrays.get(0) == backing).as("the buffer's own array").isTrue();
    }

    @Test
    void aReadOnlyBufferAsTheStoreReturnsGoesThroughASmallWindowNotAWholeCopy() throws IOException {
        ByteString s = UnsafeByteOperations.unsafeWrap(ByteBuffer.wrap(BYTES).asReadOnlyBuffer());
        Recording out = written(s);
        assertThat(out.bytes.toByteArray()).isEqualTo(BYTES);
        assertThat(out.largestWrite).isEqualTo(ByteStringWriter.WINDOW_BYTES);
        // ByteString's own writeTo first copies such a string into one new array of its whole size
        Recording whole = new Recording();
        s.writeTo(whole);
        assertThat(whole.largestWrite).isEqualTo(BYTES.length);
    }

    @Test
    void aRangeOfAHeapBufferIsWrittenExactly() throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(BYTES.clone(), 1000, 200_000).slice();
        ByteString s = UnsafeByteOperations.unsafeWrap(buffer).substring(17, 150_017);
        assertThat(written(s).bytes.toByteArray()).isEqualTo(java.util.Arrays.copyOfRange(BYTES, 1017, 151_017));
    }

    @Test
    void aDirectBufferGoesThroughASmallWindow() throws IOException {
        ByteBuffer direct = ByteBuffer.allocateDirect(BYTES.length).put(BYTES).flip();
        Recording out = written(UnsafeByteOperations.unsafeWrap(direct));
        assertThat(out.bytes.toByteArray()).isEqualTo(BYTES);
        assertThat(out.largestWrite).isEqualTo(ByteStringWriter.WINDOW_BYTES);

        // a small buffer first does not leave the window small for the large ones after it
        ByteString small = UnsafeByteOperations.unsafeWrap(ByteBuffer.allocateDirect(10).put(BYTES, 0, 10).flip());
        ByteString large = UnsafeByteOperations.unsafeWrap(ByteBuffer.allocateDirect(BYTES.length - 10).put(BYTES, 10, BYTES.length - 10).flip());
        Recording both = written(small.concat(large));
        assertThat(both.bytes.toByteArray()).isEqualTo(BYTES);
        assertThat(both.largestWrite).isEqualTo(ByteStringWriter.WINDOW_BYTES);
    }

    @Test
    void literalAndConcatenatedStringsAreWrittenWhole() throws IOException {
        assertThat(written(ByteString.copyFrom(BYTES)).bytes.toByteArray()).isEqualTo(BYTES);
        ByteString rope = ByteString.copyFrom(BYTES, 0, 100_000)
                .concat(UnsafeByteOperations.unsafeWrap(ByteBuffer.wrap(BYTES, 100_000, 100_000).slice()))
                .concat(ByteString.copyFrom(BYTES, 200_000, 100_000));
        assertThat(written(rope).bytes.toByteArray()).isEqualTo(BYTES);
        assertThat(written(ByteString.EMPTY).bytes.toByteArray()).isEmpty();
    }
}
