package io.cairn.core.codec;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The four ISA-L erasure-code functions Cairn calls, bound through the FFM API from
 * {@code libisal.so.2} (Debian package {@code libisal2}): {@code gf_gen_cauchy1_matrix},
 * {@code gf_invert_matrix}, {@code ec_init_tables} and {@code ec_encode_data}. The library is
 * looked up once per JVM; {@link #instance()} is empty, with {@link #unavailableReason()} saying
 * why, when it cannot be loaded.
 */
final class IsalLibrary {

    /** Library names tried in order, through the system's dynamic loader search path. */
    static final List<String> LIBRARY_NAMES = List.of("libisal.so.2", "libisal.so");

    private final String libraryName;
    private final MethodHandle genCauchy1Matrix;
    private final MethodHandle invertMatrix;
    private final MethodHandle initTables;
    private final MethodHandle encodeData;

    private IsalLibrary(String libraryName, SymbolLookup lookup) {
        Linker linker = Linker.nativeLinker();
        this.libraryName = libraryName;
        this.genCauchy1Matrix = linker.downcallHandle(symbol(lookup, "gf_gen_cauchy1_matrix"),
                FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT));
        this.invertMatrix = linker.downcallHandle(symbol(lookup, "gf_invert_matrix"),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        this.initTables = linker.downcallHandle(symbol(lookup, "ec_init_tables"),
                FunctionDescriptor.ofVoid(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
        this.encodeData = linker.downcallHandle(symbol(lookup, "ec_encode_data"),
                FunctionDescriptor.ofVoid(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    }

    /** The loaded library, or empty if it is not installed or lacks a function. */
    static Optional<IsalLibrary> instance() {
        return Optional.ofNullable(Holder.LIBRARY);
    }

    /** Why {@link #instance()} is empty, or {@code null} when it is not. */
    static String unavailableReason() {
        return Holder.REASON;
    }

    String libraryName() {
        return libraryName;
    }

    /** {@code gf_gen_cauchy1_matrix}: the {@code (k + m) x k} generator. */
    byte[] cauchyMatrix(int k, int m) {
        ErasureCodecs.checkShape(k, m);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment matrix = arena.allocate((long) (k + m) * k);
            genCauchy1Matrix.invokeExact(matrix, k + m, k);
            return matrix.toArray(JAVA_BYTE);
        } catch (Throwable e) {
            throw failure("gf_gen_cauchy1_matrix", e);
        }
    }

    /** {@code gf_invert_matrix} on a copy of {@code square}; throws if it is singular. */
    byte[] invert(byte[] square, int n) {
        if (n < 1 || square.length != n * n) {
            throw new IllegalArgumentException("expected an " + n + "x" + n + " matrix, got " + square.length + " bytes");
        }
        int status;
        byte[] inverse;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(square.length);
            MemorySegment.copy(square, 0, in, JAVA_BYTE, 0, square.length);
            MemorySegment out = arena.allocate(square.length);
            status = (int) invertMatrix.invokeExact(in, out, n);
            inverse = out.toArray(JAVA_BYTE);
        } catch (Throwable e) {
            throw failure("gf_invert_matrix", e);
        }
        if (status != 0) {
            throw new IllegalStateException("singular matrix (gf_invert_matrix returned " + status + ")");
        }
        return inverse;
    }

    /** {@code ec_init_tables}: {@code 32 * rows * cols} bytes of tables for a coefficient matrix. */
    void initTables(int cols, int rows, MemorySegment matrix, MemorySegment tables) {
        if (matrix.byteSize() < (long) rows * cols || tables.byteSize() < 32L * rows * cols) {
            throw new IllegalArgumentException("ec_init_tables: segments too small for " + rows + "x" + cols);
        }
        try {
            initTables.invokeExact(cols, rows, matrix, tables);
        } catch (Throwable e) {
            throw failure("ec_init_tables", e);
        }
    }

    /** {@code ec_encode_data}: {@code sources} and {@code outputs} are arrays of block pointers. */
    void encodeData(int length, int cols, int rows, MemorySegment tables, MemorySegment sources, MemorySegment outputs) {
        try {
            encodeData.invokeExact(length, cols, rows, tables, sources, outputs);
        } catch (Throwable e) {
            throw failure("ec_encode_data", e);
        }
    }

    private static MemorySegment symbol(SymbolLookup lookup, String name) {
        return lookup.find(name).orElseThrow(() -> new IllegalStateException("ISA-L has no symbol " + name));
    }

    private static RuntimeException failure(String function, Throwable e) {
        if (e instanceof RuntimeException runtime) {
            return runtime;
        }
        if (e instanceof Error error) {
            throw error;
        }
        return new IllegalStateException(function + " failed", e);
    }

    /** Loads the library on first use, once. */
    private static final class Holder {
        static final IsalLibrary LIBRARY;
        static final String REASON;

        static {
            IsalLibrary library = null;
            List<String> failures = new ArrayList<>();
            for (String name : LIBRARY_NAMES) {
                try {
                    library = new IsalLibrary(name, SymbolLookup.libraryLookup(name, Arena.global()));
                    break;
                } catch (RuntimeException | LinkageError e) {
                    failures.add(name + ": " + e.getMessage());
                }
            }
            LIBRARY = library;
            REASON = library == null ? "ISA-L not loadable (" + String.join("; ", failures) + ")" : null;
        }
    }
}
