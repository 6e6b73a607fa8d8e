package io.cairn.core.placement;

/**
 * The seed of a randomized test: {@code -Dcairn.test.seed=0x...} if given, else a fresh one.
 * It is printed with the command that re-runs the test with it.
 */
final class TestSeed {

    static final String PROPERTY = "cairn.test.seed";

    private TestSeed() {
    }

    static long of(String testClass) {
        String given = System.getProperty(PROPERTY);
        long seed;
        if (given == null || given.isBlank()) {
            seed = System.nanoTime() ^ Thread.currentThread().threadId() * 0x9E3779B97F4A7C15L;
        } else {
            String digits = given.trim().toLowerCase(java.util.Locale.ROOT);
            seed = digits.startsWith("0x") ? Long.parseUnsignedLong(digits.substring(2), 16) : Long.parseLong(digits);
        }
        System.out.println(testClass + " seed=" + hex(seed) + " (re-run: ./mvnw -o -pl cairn-core test -Dtest="
                + testClass + " -D" + PROPERTY + "=" + hex(seed) + ")");
        return seed;
    }

    static String hex(long seed) {
        return "0x" + Long.toHexString(seed);
    }
}
