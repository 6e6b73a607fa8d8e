package io.cairn.core.codec;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates {@link ErasureCodec}s. {@link #best} picks ISA-L when {@code libisal.so.2} loads and
 * the pure-Java codec otherwise, and logs once per JVM, at INFO, which engine is active and why.
 * The system property {@value #ENGINE_PROPERTY} ({@code auto}, {@code isal} or {@code java})
 * overrides the choice.
 */
public final class ErasureCodecs {

    /** System property that forces an engine: {@code auto} (default), {@code isal} or {@code java}. */
    public static final String ENGINE_PROPERTY = "cairn.codec";

    private static final Logger LOG = LoggerFactory.getLogger(ErasureCodecs.class);
    private static final AtomicBoolean LOGGED = new AtomicBoolean();

    private static final java.util.Map<Long, ErasureCodec> SHARED = new java.util.concurrent.ConcurrentHashMap<>();

    private ErasureCodecs() {
    }

    /** One {@link #best} codec per stripe shape, created on first use and shared by every caller (codecs are thread-safe). */
    public static ErasureCodec shared(int dataBlocks, int parityBlocks) {
        checkShape(dataBlocks, parityBlocks);
        return SHARED.computeIfAbsent(((long) dataBlocks << 32) | parityBlocks, s -> best(dataBlocks, parityBlocks));
    }

    /** ISA-L if it loads (or if {@value #ENGINE_PROPERTY} says so), else the pure-Java codec. */
    public static ErasureCodec best(int dataBlocks, int parityBlocks) {
        checkShape(dataBlocks, parityBlocks);
        String engine = System.getProperty(ENGINE_PROPERTY, "auto").trim().toLowerCase(Locale.ROOT);
        ErasureCodec codec;
        String why;
        switch (engine) {
            case "auto" -> {
                if (isalAvailable()) {
                    codec = isal(dataBlocks, parityBlocks);
                    why = "ISA-L loaded from " + IsalLibrary.instance().orElseThrow().libraryName();
                } else {
                    codec = java(dataBlocks, parityBlocks);
                    why = IsalLibrary.unavailableReason();
                }
            }
            case "isal" -> {
                codec = isal(dataBlocks, parityBlocks);
                why = ENGINE_PROPERTY + "=isal";
            }
            case "java" -> {
                codec = java(dataBlocks, parityBlocks);
                why = ENGINE_PROPERTY + "=java";
            }
            default -> throw new IllegalArgumentException(
                    ENGINE_PROPERTY + " must be auto, isal or java, not '" + engine + "'");
        }
        if (LOGGED.compareAndSet(false, true)) {
            LOG.info("erasure codec: {} ({}; {})", codec.name(), javaKernelDescription(), why);
        }
        return codec;
    }

    /** The pure-Java codec, with the Vector API kernel when the JVM offers it. */
    public static ErasureCodec java(int dataBlocks, int parityBlocks) {
        return new JavaErasureCodec(dataBlocks, parityBlocks, JavaErasureCodec.preferredKernel());
    }

    /** The pure-Java codec with the byte-at-a-time kernel only (for tests and comparison). */
    public static ErasureCodec javaScalar(int dataBlocks, int parityBlocks) {
        return new JavaErasureCodec(dataBlocks, parityBlocks, new ScalarGfKernel());
    }

    /**
     * The ISA-L codec; throws {@link IllegalStateException} if the library cannot be loaded or
     * its generator matrix differs from the Java one (which would break byte-compatibility).
     */
    public static ErasureCodec isal(int dataBlocks, int parityBlocks) {
        checkShape(dataBlocks, parityBlocks);
        IsalLibrary library = IsalLibrary.instance()
                .orElseThrow(() -> new IllegalStateException(IsalLibrary.unavailableReason()));
        IsalErasureCodec codec = new IsalErasureCodec(library, dataBlocks, parityBlocks);
        if (!Arrays.equals(codec.generator, CauchyMatrix.generator(dataBlocks, parityBlocks))) {
            throw new IllegalStateException("ISA-L's gf_gen_cauchy1_matrix differs from Cairn's for "
                    + dataBlocks + "+" + parityBlocks + "; refusing it, its blocks would not decode with the Java codec");
        }
        return codec;
    }

    /** Whether the ISA-L library loads in this JVM. */
    public static boolean isalAvailable() {
        return IsalLibrary.instance().isPresent();
    }

    /** Why ISA-L is not available, or empty when it is. */
    public static Optional<String> isalUnavailableReason() {
        return Optional.ofNullable(IsalLibrary.unavailableReason());
    }

    static void checkShape(int k, int m) {
        if (k < 1 || k > ErasureCodec.DATA_BLOCKS_MAX || m < 1 || m > ErasureCodec.PARITY_BLOCKS_MAX) {
            throw new IllegalArgumentException("erasure code needs 1<=k<=" + ErasureCodec.DATA_BLOCKS_MAX
                    + " and 1<=m<=" + ErasureCodec.PARITY_BLOCKS_MAX + ": k=" + k + " m=" + m);
        }
    }

    private static String javaKernelDescription() {
        return "pure-Java kernel: " + JavaErasureCodec.preferredKernel().description();
    }
}
