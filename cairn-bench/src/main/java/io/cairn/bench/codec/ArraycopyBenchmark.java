package io.cairn.bench.codec;

import java.util.SplittableRandom;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** The reference for the codec figures: {@code System.arraycopy} of the same 1 MiB chunk. */
@State(Scope.Thread)
public class ArraycopyBenchmark {

    private byte[] source;
    private byte[] target;

    @Setup
    public void setUp() {
        source = new byte[CodecBenchmark.STRIPE_BYTES];
        new SplittableRandom(42).nextBytes(source);
        target = new byte[CodecBenchmark.STRIPE_BYTES];
    }

    @Benchmark
    public byte[] arraycopy() {
        System.arraycopy(source, 0, target, 0, source.length);
        return target;
    }
}
