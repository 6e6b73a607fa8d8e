package io.cairn.core.codec;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * The pure-Java codec: the shared Cauchy generator, Java matrix inversion, and a
 * {@link GfKernel} for the bulk work (the Vector API one when the JVM has it, else scalar).
 * Works on heap and direct buffers alike.
 */
final class JavaErasureCodec extends MatrixErasureCodec {

    private static final String VECTOR_KERNEL = "io.cairn.core.codec.VectorGfKernel";

    private final GfKernel kernel;
    private final CodingTables parityTables;

    JavaErasureCodec(int k, int m, GfKernel kernel) {
        super(k, m, CauchyMatrix.generator(k, m));
        this.kernel = kernel;
        byte[] parityRows = new byte[m * k];
        System.arraycopy(generator, k * k, parityRows, 0, m * k);
        this.parityTables = kernel.prepare(parityRows, m, k);
    }

    /**
     * The vector kernel if {@code jdk.incubator.vector} is loaded and offers at least 128-bit
     * byte vectors, else the scalar kernel. Loaded by name so that this class links without the
     * incubator module.
     */
    static GfKernel preferredKernel() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return new ScalarGfKernel();
        }
        try {
            return (GfKernel) Class.forName(VECTOR_KERNEL).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            return new ScalarGfKernel();
        }
    }

    @Override
    public String name() {
        return kernel.name();
    }

    @Override
    void encodeBlocks(ByteBuffer[] data, ByteBuffer[] parity, int length) {
        kernel.multiply(parityTables, segments(data), segments(parity), length);
    }

    @Override
    void decodeBlocks(DecodePlan plan, ByteBuffer[] inputs, ByteBuffer[] outputs, int length) {
        CodingTables tables = kernel.prepare(plan.matrix(), outputs.length, k);
        kernel.multiply(tables, segments(inputs), segments(outputs), length);
    }

    @Override
    byte[] invert(byte[] square, int n) {
        return GaloisMatrix.invert(square, n);
    }

    private static MemorySegment[] segments(ByteBuffer[] buffers) {
        MemorySegment[] segments = new MemorySegment[buffers.length];
        for (int i = 0; i < buffers.length; i++) {
            segments[i] = MemorySegment.ofBuffer(buffers[i]);
        }
        return segments;
    }
}
