package io.cairn.core.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What every {@link ErasureCodec} must do, checked on random data with a printed seed: parity
 * matches the Cauchy code's definition, and decoding rebuilds the lost blocks for every erasure
 * pattern of up to {@code m} blocks (all patterns for small stripes, a sample for large ones),
 * for block lengths from 0 and 1 byte through odd lengths past the vector width, in heap,
 * direct and offset buffers. Bad calls throw and write nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ErasureCodecContractTest {

    /** Stripes with at most this many erasure patterns are checked against all of them. */
    private static final int ALL_PATTERNS_MAX = 3000;
    private static final int SAMPLED_PATTERNS = 150;
    private static final int[] INTERESTING_LENGTHS = {1, 2, 15, 16, 17, 31, 33, 63, 64, 65, 127, 128, 129, 191, 255, 257, 1023, 4099};
    private static final int[][] FIXED_SHAPES = {{1, 1}, {1, 16}, {2, 1}, {3, 2}, {4, 2}, {6, 3}, {8, 3}, {8, 4}, {10, 4}, {12, 4}, {16, 4}, {32, 16}};

    private TestSeed seed;

    /** The implementation under test, for {@code k} data and {@code m} parity blocks. */
    abstract ErasureCodec codec(int k, int m);

    @BeforeAll
    void seed() {
        seed = TestSeed.of(getClass());
    }

    private Random random(String test) {
        return new Random(seed.value() ^ test.hashCode());
    }

    @Test
    void reportsItsShape() {
        ErasureCodec codec = codec(10, 4);
        assertThat(codec.dataBlocks()).isEqualTo(10);
        assertThat(codec.parityBlocks()).isEqualTo(4);
        assertThat(codec.totalBlocks()).isEqualTo(14);
        assertThat(codec.name()).isNotBlank();
    }

    @Test
    void parityMatchesTheCauchyDefinition() {
        Random random = random("definition");
        for (int round = 0; round < 40; round++) {
            int k = 1 + random.nextInt(ErasureCodec.DATA_BLOCKS_MAX);
            int m = 1 + random.nextInt(ErasureCodec.PARITY_BLOCKS_MAX);
            int length = randomLength(random);
            ByteBuffer[] data = randomBlocks(random, k, length);
            ByteBuffer[] parity = garbageBlocks(random, m, length);
            codec(k, m).encode(data, parity);
            byte[][] expected = definitionParity(k, m, data, length);
            for (int i = 0; i < m; i++) {
                assertThat(bytes(parity[i])).as("parity %d of %d+%d, %d bytes; %s", i, k, m, length, seed.reproduce())
                        .isEqualTo(expected[i]);
            }
        }
    }

    @Test
    void decodesEveryErasurePatternUpToM() {
        Random random = random("patterns");
        List<int[]> shapes = new ArrayList<>(Arrays.asList(FIXED_SHAPES));
        for (int i = 0; i < 6; i++) {
            shapes.add(new int[] {1 + random.nextInt(ErasureCodec.DATA_BLOCKS_MAX), 1 + random.nextInt(ErasureCodec.PARITY_BLOCKS_MAX)});
        }
        for (int[] shape : shapes) {
            int k = shape[0];
            int m = shape[1];
            ErasureCodec codec = codec(k, m);
            List<boolean[]> patterns = patterns(random, k + m, m);
            checkPatterns(codec, random, INTERESTING_LENGTHS[random.nextInt(INTERESTING_LENGTHS.length)], patterns);
            Collections.shuffle(patterns, random);
            checkPatterns(codec, random, 1 + 2 * random.nextInt(2500), patterns.subList(0, Math.min(40, patterns.size())));
        }
    }

    @Test
    void everyShapeRoundTripsWithMLostBlocks() {
        Random random = random("shapes");
        for (int k = 1; k <= ErasureCodec.DATA_BLOCKS_MAX; k++) {
            for (int m = 1; m <= ErasureCodec.PARITY_BLOCKS_MAX; m++) {
                boolean[] lost = randomPattern(random, k + m, m);
                checkPatterns(codec(k, m), random, 1 + random.nextInt(80), List.of(lost));
            }
        }
    }

    @Test
    void emptyBlocksEncodeAndDecodeToNothing() {
        ErasureCodec codec = codec(4, 2);
        ByteBuffer[] data = randomBlocks(new Random(1), 4, 0);
        ByteBuffer[] parity = {ByteBuffer.allocate(0), ByteBuffer.allocateDirect(0)};
        codec.encode(data, parity);
        ByteBuffer[] blocks = {null, ByteBuffer.allocate(0), data[2], data[3], parity[0], parity[1]};
        boolean[] present = {false, false, true, true, true, true};
        codec.decode(blocks, present);
        assertThat(blocks[1].remaining()).isZero();
    }

    @Test
    void rebuildsOnlyTheWantedBlocks() {
        Random random = random("wanted");
        int k = 6;
        int m = 3;
        int length = 333;
        ErasureCodec codec = codec(k, m);
        ByteBuffer[] data = randomBlocks(random, k, length);
        ByteBuffer[] parity = garbageBlocks(random, m, length);
        codec.encode(data, parity);
        ByteBuffer[] blocks = stripe(data, parity);
        boolean[] present = new boolean[k + m];
        Arrays.fill(present, true);
        present[0] = false;
        present[4] = false;
        present[7] = false;
        ByteBuffer rebuiltData = ByteBuffer.allocate(length);
        blocks[0] = null;
        blocks[4] = rebuiltData;
        blocks[7] = null;
        codec.decode(blocks, present);
        assertThat(bytes(rebuiltData)).as(seed.reproduce()).isEqualTo(bytes(data[4]));
        ByteBuffer rebuiltParity = ByteBuffer.allocateDirect(length);
        blocks[4] = null;
        blocks[7] = rebuiltParity;
        codec.decode(blocks, present);
        assertThat(bytes(rebuiltParity)).as(seed.reproduce()).isEqualTo(bytes(parity[1]));
    }

    @Test
    void respectsBufferPositionsAndLeavesThemAndTheSurroundingsAlone() {
        Random random = random("positions");
        int k = 5;
        int m = 3;
        int length = 200;
        ErasureCodec codec = codec(k, m);
        ByteBuffer[] data = new ByteBuffer[k];
        ByteBuffer[] parity = new ByteBuffer[m];
        List<ByteBuffer> backing = new ArrayList<>();
        List<byte[]> before = new ArrayList<>();
        for (int i = 0; i < k + m; i++) {
            ByteBuffer whole = i % 2 == 0 ? ByteBuffer.allocate(length + 40) : ByteBuffer.allocateDirect(length + 40);
            byte[] fill = new byte[length + 40];
            random.nextBytes(fill);
            whole.put(0, fill);
            ByteBuffer block = whole.duplicate().position(17).limit(17 + length);
            backing.add(whole);
            before.add(fill);
            if (i < k) {
                data[i] = block;
            } else {
                parity[i - k] = block;
            }
        }
        codec.encode(data, parity);
        ByteBuffer[] blocks = stripe(data, parity);
        byte[] lostBlock = bytes(blocks[1]);
        ByteBuffer rebuilt = ByteBuffer.allocate(length + 10).position(5).limit(5 + length);
        blocks[1] = rebuilt;
        boolean[] present = new boolean[k + m];
        Arrays.fill(present, true);
        present[1] = false;
        codec.decode(blocks, present);
        assertThat(bytes(rebuilt)).as(seed.reproduce()).isEqualTo(lostBlock);
        assertThat(rebuilt.position()).isEqualTo(5);
        assertThat(rebuilt.limit()).isEqualTo(5 + length);
        for (int i = 0; i < k + m; i++) {
            ByteBuffer block = i < k ? data[i] : parity[i - k];
            assertThat(block.position()).isEqualTo(17);
            assertThat(block.limit()).isEqualTo(17 + length);
            byte[] after = new byte[length + 40];
            backing.get(i).get(0, after);
            assertThat(Arrays.copyOfRange(after, 0, 17)).isEqualTo(Arrays.copyOfRange(before.get(i), 0, 17));
            assertThat(Arrays.copyOfRange(after, 17 + length, length + 40))
                    .isEqualTo(Arrays.copyOfRange(before.get(i), 17 + length, length + 40));
            if (i < k) {
                assertThat(after).as("data block %d is only read", i).isEqualTo(before.get(i));
            }
        }
    }

    @Test
    void badCallsThrowAndWriteNothing() {
        Random random = random("bad");
        int k = 4;
        int m = 2;
        ErasureCodec codec = codec(k, m);
        ByteBuffer[] data = randomBlocks(random, k, 100);
        ByteBuffer[] parity = garbageBlocks(random, m, 100);
        byte[][] parityBefore = {bytes(parity[0]), bytes(parity[1])};

        assertBadAndUntouched(() -> codec.encode(Arrays.copyOf(data, 3), parity), "encodes 4 data", parity, parityBefore);
        assertBadAndUntouched(() -> codec.encode(data, Arrays.copyOf(parity, 3)), "into 2 parity", parity, parityBefore);
        assertBadAndUntouched(() -> codec.encode(new ByteBuffer[] {data[0], data[1], null, data[3]}, parity), "data[2] is null",
                parity, parityBefore);
        assertBadAndUntouched(() -> codec.encode(new ByteBuffer[] {data[0], data[1], ByteBuffer.allocate(99), data[3]}, parity),
                "equal lengths", parity, parityBefore);
        assertBadAndUntouched(() -> codec.encode(data, new ByteBuffer[] {parity[0], parity[1].asReadOnlyBuffer()}), "read-only",
                parity, parityBefore);
        assertBadAndUntouched(() -> codec.encode(data, new ByteBuffer[] {parity[0], parity[0]}), "shares memory", parity,
                parityBefore);
        assertBadAndUntouched(() -> codec.encode(data, new ByteBuffer[] {parity[0], data[1].duplicate()}), "shares memory",
                parity, parityBefore);
        assertBadAndUntouched(() -> codec.encode(null, parity), "required", parity, parityBefore);

        ByteBuffer[] blocks = {data[0], data[1], parity[0], data[3], null, parity[1]};
        boolean[] tooFew = {true, true, false, false, false, true};
        assertBadAndUntouched(() -> codec.decode(blocks, tooFew), "at least 4 present", parity, parityBefore);
        boolean[] presentButNull = {true, true, true, true, true, false};
        assertBadAndUntouched(() -> codec.decode(blocks, presentButNull), "blocks[4] (present) is null", parity, parityBefore);
        assertBadAndUntouched(() -> codec.decode(blocks, new boolean[5]), "6 blocks", parity, parityBefore);
        assertBadAndUntouched(() -> codec.decode(Arrays.copyOf(blocks, 7), new boolean[7]), "6 blocks", parity, parityBefore);
        boolean[] overlapping = {true, true, true, true, false, false};
        ByteBuffer[] aliased = {data[0], data[1], parity[0], data[3], null, data[0].duplicate()};
        assertBadAndUntouched(() -> codec.decode(aliased, overlapping), "shares memory", parity, parityBefore);
    }

    @Test
    void isSafeToShareBetweenThreads() throws Exception {
        Random random = random("threads");
        int k = 8;
        int m = 3;
        ErasureCodec codec = codec(k, m);
        int tasks = 16;
        List<ByteBuffer[]> inputs = new ArrayList<>();
        List<byte[][]> expected = new ArrayList<>();
        for (int t = 0; t < tasks; t++) {
            ByteBuffer[] data = randomBlocks(random, k, 1000 + random.nextInt(3000));
            inputs.add(data);
            expected.add(definitionParity(k, m, data, data[0].remaining()));
        }
        try (ExecutorService threads = Executors.newFixedThreadPool(4)) {
            List<Future<ByteBuffer[]>> results = new ArrayList<>();
            for (ByteBuffer[] data : inputs) {
                results.add(threads.submit(() -> {
                    ByteBuffer[] parity = garbageBlocks(new Random(1), m, data[0].remaining());
                    for (int repeat = 0; repeat < 20; repeat++) {
                        codec.encode(data, parity);
                    }
                    return parity;
                }));
            }
            for (int t = 0; t < tasks; t++) {
                ByteBuffer[] parity = results.get(t).get();
                for (int i = 0; i < m; i++) {
                    assertThat(bytes(parity[i])).as("task %d parity %d; %s", t, i, seed.reproduce()).isEqualTo(expected.get(t)[i]);
                }
            }
        }
    }

    /** Encodes random data, then for each pattern loses those blocks and decodes them back. */
    private void checkPatterns(ErasureCodec codec, Random random, int length, List<boolean[]> patterns) {
        int k = codec.dataBlocks();
        int m = codec.parityBlocks();
        ByteBuffer[] data = randomBlocks(random, k, length);
        ByteBuffer[] parity = garbageBlocks(random, m, length);
        codec.encode(data, parity);
        ByteBuffer[] original = stripe(data, parity);
        byte[][] originalBytes = new byte[k + m][];
        for (int i = 0; i < k + m; i++) {
            originalBytes[i] = bytes(original[i]);
        }
        for (boolean[] lost : patterns) {
            ByteBuffer[] blocks = original.clone();
            boolean[] present = new boolean[k + m];
            for (int i = 0; i < k + m; i++) {
                present[i] = !lost[i];
                if (lost[i]) {
                    blocks[i] = garbageBlocks(random, 1, length)[0];
                }
            }
            codec.decode(blocks, present);
            for (int i = 0; i < k + m; i++) {
                assertThat(bytes(blocks[i]))
                        .as("%s %d+%d, %d-byte blocks, lost %s, block %d; %s", codec.name(), k, m, length, describe(lost), i,
                                seed.reproduce())
                        .isEqualTo(originalBytes[i]);
            }
        }
    }

    /** All patterns of 1..m lost blocks among n if there are few, else a sample with the extremes. */
    private static List<boolean[]> patterns(Random random, int n, int m) {
        long count = 0;
        for (int e = 1; e <= m; e++) {
            count += binomial(n, e);
        }
        List<boolean[]> patterns = new ArrayList<>();
        if (count <= ALL_PATTERNS_MAX) {
            for (int size = 1; size <= m; size++) {
                addCombinations(patterns, new boolean[n], 0, size);
            }
            assertThat(patterns).hasSize((int) count);
            return patterns;
        }
        int k = n - m;
        boolean[] firstData = new boolean[n];
        boolean[] allParity = new boolean[n];
        boolean[] lastData = new boolean[n];
        for (int i = 0; i < m; i++) {
            firstData[Math.min(i, k - 1)] = true;
            allParity[k + i] = true;
            lastData[Math.max(k - 1 - i, 0)] = true;
        }
        patterns.addAll(List.of(firstData, allParity, lastData));
        for (int i = 0; i < SAMPLED_PATTERNS; i++) {
            patterns.add(randomPattern(random, n, 1 + random.nextInt(m)));
        }
        return patterns;
    }

    /** Adds every way of marking {@code remaining} more blocks lost at indexes from {@code from} on. */
    private static void addCombinations(List<boolean[]> patterns, boolean[] lost, int from, int remaining) {
        if (remaining == 0) {
            patterns.add(lost.clone());
            return;
        }
        for (int i = from; i <= lost.length - remaining; i++) {
            lost[i] = true;
            addCombinations(patterns, lost, i + 1, remaining - 1);
            lost[i] = false;
        }
    }

    private static boolean[] randomPattern(Random random, int n, int lostCount) {
        boolean[] lost = new boolean[n];
        int marked = 0;
        while (marked < lostCount) {
            int i = random.nextInt(n);
            if (!lost[i]) {
                lost[i] = true;
                marked++;
            }
        }
        return lost;
    }

    private static long binomial(int n, int r) {
        long result = 1;
        for (int i = 1; i <= r; i++) {
            result = result * (n - r + i) / i;
        }
        return result;
    }

    /** Parity straight from the definition: {@code p[i] = sum_j x[j] / ((k + i) XOR j)}. */
    static byte[][] definitionParity(int k, int m, ByteBuffer[] data, int length) {
        byte[][] parity = new byte[m][length];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < k; j++) {
                int coefficient = GaloisField.inv((k + i) ^ j);
                byte[] x = bytes(data[j]);
                for (int b = 0; b < length; b++) {
                    parity[i][b] ^= (byte) GaloisField.mul(coefficient, x[b] & 0xFF);
                }
            }
        }
        return parity;
    }

    private void assertBadAndUntouched(Runnable call, String message, ByteBuffer[] outputs, byte[][] before) {
        assertThatThrownBy(call::run).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
        for (int i = 0; i < outputs.length; i++) {
            assertThat(bytes(outputs[i])).as("output %d after a rejected call", i).isEqualTo(before[i]);
        }
    }

    private static int randomLength(Random random) {
        return switch (random.nextInt(4)) {
            case 0 -> INTERESTING_LENGTHS[random.nextInt(INTERESTING_LENGTHS.length)];
            case 1 -> random.nextInt(3);
            default -> 1 + random.nextInt(3000);
        };
    }

    /** Random blocks in a random mix of heap, direct and offset (non-zero position) buffers. */
    static ByteBuffer[] randomBlocks(Random random, int count, int length) {
        ByteBuffer[] blocks = new ByteBuffer[count];
        for (int i = 0; i < count; i++) {
            byte[] content = new byte[length];
            random.nextBytes(content);
            int offset = random.nextBoolean() ? 0 : 1 + random.nextInt(70);
            ByteBuffer whole = random.nextBoolean() ? ByteBuffer.allocate(offset + length + 3) : ByteBuffer.allocateDirect(offset + length + 3);
            whole.put(offset, content);
            blocks[i] = whole.position(offset).limit(offset + length).slice().duplicate();
            if (offset > 0 && random.nextBoolean()) {
                blocks[i] = whole.duplicate().position(offset).limit(offset + length);
            }
        }
        return blocks;
    }

    private static ByteBuffer[] garbageBlocks(Random random, int count, int length) {
        return randomBlocks(random, count, length);
    }

    private static ByteBuffer[] stripe(ByteBuffer[] data, ByteBuffer[] parity) {
        ByteBuffer[] blocks = Arrays.copyOf(data, data.length + parity.length);
        System.arraycopy(parity, 0, blocks, data.length, parity.length);
        return blocks;
    }

    static byte[] bytes(ByteBuffer block) {
        byte[] copy = new byte[block.remaining()];
        block.get(block.position(), copy);
        return copy;
    }

    private static String describe(boolean[] lost) {
        List<Integer> indexes = new ArrayList<>();
        for (int i = 0; i < lost.length; i++) {
            if (lost[i]) {
                indexes.add(i);
            }
        }
        return indexes.toString();
    }
}
