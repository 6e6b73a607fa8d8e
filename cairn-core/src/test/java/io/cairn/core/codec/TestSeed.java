package io.cairn.core.codec;

import java.util.Locale;

/**
 * The seed of a randomized codec test: {@code -Dcairn.seed=0x...} if given, else a fresh one.
 * {@link #of} prints it with the command that re-runs the test class with it.
 */
record TestSeed(long value, String reproduce) {

    static final String PROPERTY = "cairn.seed";

    static TestSeed of(Class<?> testClass) {
        String given = System.getProperty(PROPERTY);
        long seed;
        if (given == null || given.isBlank()) {
            seed = System.nanoTime() * 0x9E3779B97F4A7C15L;
        } else {
            String digits = given.trim().toLowerCase(Locale.ROOT);
            seed = digits.startsWith("0x") ? Long.parseUnsignedLong(digits.substring(2), 16) : Long.parseLong(digits);
        }
        String reproduce = "reproduce: ./mvnw -o -pl cairn-core test -Dtest=" + testClass.getSimpleName() + " -D"
                + PROPERTY + "=0x" + Long.toHexString(seed);
        System.out.println(testClass.getSimpleName() + " seed=0x" + Long.toHexString(seed) + " (" + reproduce + ")");
        return new TestSeed(seed, reproduce);
    }
}
