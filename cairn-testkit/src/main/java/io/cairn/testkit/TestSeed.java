package io.cairn.testkit;

/**
 * The seed of a randomized real-process test: {@code -Dcairn.seed=N}, or a fresh one, printed
 * with the one command that runs the test again with it.
 */
public final class TestSeed {

    private TestSeed() {}

    /** The seed for {@code test}, announced on standard output. */
    public static long of(Class<?> test) {
        long seed = Long.getLong("cairn.seed", System.nanoTime());
        System.out.println(test.getSimpleName() + " seed=" + seed + " (reproduce: ./mvnw -pl cairn-testkit test -Dtest="
                + test.getSimpleName() + " -Dcairn.seed=" + seed + ")");
        return seed;
    }
}
