package io.cairn.bench.codec;

import io.cairn.core.codec.ErasureCodec;
import io.cairn.core.codec.ErasureCodecs;
import io.cairn.core.codec.StripeLayout;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Encode and decode of one stripe holding a {@value #STRIPE_BYTES}-byte chunk, per codec and
 * shape. Decode rebuilds the first {@code m} data blocks from the remaining data and all parity,
 * the worst case for a read. One operation is one stripe.
 */
@State(Scope.Thread)
public class CodecBenchmark {

    /** Input data per operation: a 1 MiB chunk. */
    public static final int STRIPE_BYTES = 1 << 20;

    @Param({"java", "isal"})
    public String codec;

    @Param({"4+2", "8+3", "10+4"})
    public String shape;

    /** {@code direct} buffers, or {@code heap} ones (which ISA-L must copy to native memory). */
    @Param({"direct"})
    public String memory;

    private ErasureCodec erasureCodec;
    private ByteBuffer[] data;
    private ByteBuffer[] parity;
    private ByteBuffer[] blocks;
    private boolean[] present;

    @Setup(Level.Trial)
    public void setUp() {
        int plus = shape.indexOf('+');
        int k = Integer.parseInt(shape.substring(0, plus));
        int m = Integer.parseInt(shape.substring(plus + 1));
        erasureCodec = switch (codec) {
            case "java" -> ErasureCodecs.java(k, m);
            case "isal" -> ErasureCodecs.isal(k, m);
            default -> throw new IllegalArgumentException("codec must be java or isal: " + codec);
        };
        boolean direct = switch (memory) {
            case "direct" -> true;
            case "heap" -> false;
            default -> throw new IllegalArgumentException("memory must be direct or heap: " + memory);
        };
        byte[] content = new byte[STRIPE_BYTES];
        new SplittableRandom(42).nextBytes(content);
        ByteBuffer chunk = direct ? ByteBuffer.allocateDirect(STRIPE_BYTES) : ByteBuffer.allocate(STRIPE_BYTES);
        chunk.put(0, content);
        StripeLayout layout = StripeLayout.of(erasureCodec, STRIPE_BYTES);
        data = layout.split(chunk);
        parity = layout.allocateParity(direct);
        erasureCodec.encode(data, parity);
        blocks = new ByteBuffer[k + m];
        present = new boolean[k + m];
        for (int i = 0; i < k + m; i++) {
            present[i] = i >= m;
            if (i < m) {
                blocks[i] = direct ? ByteBuffer.allocateDirect(layout.blockLength()) : ByteBuffer.allocate(layout.blockLength());
            } else {
                blocks[i] = i < k ? data[i] : parity[i - k];
            }
        }
        erasureCodec.decode(blocks, present);
        for (int i = 0; i < m; i++) {
            if (!blocks[i].equals(data[i])) {
                throw new IllegalStateException(erasureCodec.name() + " " + shape + " decoded block " + i + " wrong");
            }
        }
    }

    @Benchmark
    public ByteBuffer[] encode() {
        erasureCodec.encode(data, parity);
        return parity;
    }

    @Benchmark
    public ByteBuffer[] decode() {
        erasureCodec.decode(blocks, present);
        return blocks;
    }
}
