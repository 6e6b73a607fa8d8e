package io.cairn.core.codec;

import static io.cairn.core.codec.ErasureCodecContractTest.bytes;
import static io.cairn.core.codec.ErasureCodecContractTest.randomBlocks;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ISA-L and the Java codecs are byte-compatible: the same generator matrix, the same matrix
 * inverses, identical parity, and blocks encoded by one decode with the other.
 */
class CodecCompatibilityTest {

    private static TestSeed seed;

    @BeforeAll
    static void requireIsal() {
        seed = TestSeed.of(CodecCompatibilityTest.class);
        IsalAvailability.require();
    }

    @Test
    void isalGeneratesTheSameCauchyMatrixForEveryShape() {
        IsalLibrary isal = IsalLibrary.instance().orElseThrow();
        for (int k = 1; k <= ErasureCodec.DATA_BLOCKS_MAX; k++) {
            for (int m = 1; m <= ErasureCodec.PARITY_BLOCKS_MAX; m++) {
                assertThat(isal.cauchyMatrix(k, m)).as("%d+%d", k, m).isEqualTo(CauchyMatrix.generator(k, m));
            }
        }
    }

    @Test
    void isalAndJavaInvertSurvivorMatricesAlike() {
        Random random = new Random(seed.value());
        IsalLibrary isal = IsalLibrary.instance().orElseThrow();
        for (int round = 0; round < 300; round++) {
            int k = 1 + random.nextInt(ErasureCodec.DATA_BLOCKS_MAX);
            int m = 1 + random.nextInt(ErasureCodec.PARITY_BLOCKS_MAX);
            byte[] generator = CauchyMatrix.generator(k, m);
            int[] rows = random.ints(0, k + m).distinct().limit(k).sorted().toArray();
            byte[] square = new byte[k * k];
            for (int j = 0; j < k; j++) {
                System.arraycopy(generator, rows[j] * k, square, j * k, k);
            }
            assertThat(GaloisMatrix.invert(square, k)).as("%d+%d rows %s; %s", k, m, java.util.Arrays.toString(rows), seed.reproduce())
                    .isEqualTo(isal.invert(square, k));
        }
    }

    @Test
    void allEnginesWriteIdenticalParityAndDecodeEachOthersBlocks() {
        Random random = new Random(seed.value() ^ 1);
        for (int round = 0; round < 60; round++) {
            int k = 1 + random.nextInt(ErasureCodec.DATA_BLOCKS_MAX);
            int m = 1 + random.nextInt(ErasureCodec.PARITY_BLOCKS_MAX);
            int length = round < 3 ? round : 1 + random.nextInt(5000);
            ErasureCodec[] engines = {ErasureCodecs.isal(k, m), ErasureCodecs.java(k, m), ErasureCodecs.javaScalar(k, m)};
            ByteBuffer[] data = randomBlocks(random, k, length);
            byte[][][] parities = new byte[engines.length][][];
            for (int e = 0; e < engines.length; e++) {
                ByteBuffer[] parity = randomBlocks(random, m, length);
                engines[e].encode(data, parity);
                parities[e] = new byte[m][];
                for (int i = 0; i < m; i++) {
                    parities[e][i] = bytes(parity[i]);
                }
            }
            for (int e = 1; e < engines.length; e++) {
                assertThat(parities[e]).as("%s vs isal, %d+%d, %d bytes; %s", engines[e].name(), k, m, length, seed.reproduce())
                        .isDeepEqualTo(parities[0]);
            }
            for (int writer = 0; writer < engines.length; writer++) {
                ErasureCodec reader = engines[(writer + 1) % engines.length];
                ByteBuffer[] blocks = new ByteBuffer[k + m];
                boolean[] present = new boolean[k + m];
                for (int i = 0; i < k + m; i++) {
                    blocks[i] = i < k ? data[i] : ByteBuffer.wrap(parities[writer][i - k].clone());
                    present[i] = true;
                }
                int lostCount = 1 + random.nextInt(m);
                int[] lost = random.ints(0, k + m).distinct().limit(lostCount).toArray();
                for (int i : lost) {
                    present[i] = false;
                    blocks[i] = ByteBuffer.allocateDirect(length);
                }
                reader.decode(blocks, present);
                for (int i : lost) {
                    byte[] expected = i < k ? bytes(data[i]) : parities[writer][i - k];
                    assertThat(bytes(blocks[i])).as("%s decoding %s's stripe %d+%d, block %d; %s", reader.name(),
                            engines[writer].name(), k, m, i, seed.reproduce()).isEqualTo(expected);
                }
            }
        }
    }
}
