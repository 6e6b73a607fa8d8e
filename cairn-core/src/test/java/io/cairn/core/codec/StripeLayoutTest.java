package io.cairn.core.codec;

import static io.cairn.core.codec.ErasureCodecContractTest.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Splitting a chunk into k padded blocks and joining it back, through a real encode and decode. */
class StripeLayoutTest {

    @Test
    void blockLengthIsTheCeilingAndPaddingIsZero() {
        StripeLayout layout = new StripeLayout(4, 2, 10);
        assertThat(layout.blockLength()).isEqualTo(3);
        assertThat(layout.storedBytes()).isEqualTo(18);
        ByteBuffer chunk = ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
        ByteBuffer[] blocks = layout.split(chunk);
        assertThat(bytes(blocks[0])).containsExactly(1, 2, 3);
        assertThat(bytes(blocks[2])).containsExactly(7, 8, 9);
        assertThat(bytes(blocks[3])).containsExactly(10, 0, 0);
        assertThat(chunk.position()).isZero();
        assertThat(layout.dataBlockOf(0)).isZero();
        assertThat(layout.dataBlockOf(9)).isEqualTo(3);
        assertThatThrownBy(() -> layout.dataBlockOf(10)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shortChunksGetWhollyZeroBlocksAndEmptyChunksEmptyBlocks() {
        StripeLayout one = new StripeLayout(4, 2, 1);
        ByteBuffer[] blocks = one.split(ByteBuffer.wrap(new byte[] {42}));
        assertThat(blocks).hasSize(4);
        assertThat(bytes(blocks[0])).containsExactly(42);
        assertThat(bytes(blocks[3])).containsExactly(0);
        assertThat(one.join(blocks).array()).containsExactly(42);

        StripeLayout empty = new StripeLayout(8, 3, 0);
        assertThat(empty.blockLength()).isZero();
        ByteBuffer[] none = empty.split(ByteBuffer.allocate(0));
        assertThat(none).hasSize(8).allSatisfy(b -> assertThat(b.remaining()).isZero());
        assertThat(empty.join(none).remaining()).isZero();
    }

    @Test
    void fullBlocksShareTheChunkAndPaddedOnesKeepItsKind() {
        StripeLayout layout = new StripeLayout(3, 1, 8);
        ByteBuffer chunk = ByteBuffer.allocateDirect(8);
        ByteBuffer[] blocks = layout.split(chunk);
        chunk.put(0, (byte) 7);
        assertThat(blocks[0].get(0)).as("slice of the chunk").isEqualTo((byte) 7);
        assertThat(blocks[2].isDirect()).isTrue();
        assertThat(layout.allocateParity(true)[0].isDirect()).isTrue();
        assertThat(layout.allocateParity(false)[0].remaining()).isEqualTo(3);
    }

    @Test
    void randomChunksSurviveEncodeLossAndJoin() {
        TestSeed seed = TestSeed.of(StripeLayoutTest.class);
        Random random = new Random(seed.value());
        for (int round = 0; round < 200; round++) {
            int k = 1 + random.nextInt(ErasureCodec.DATA_BLOCKS_MAX);
            int m = 1 + random.nextInt(ErasureCodec.PARITY_BLOCKS_MAX);
            int chunkLength = random.nextInt(4) == 0 ? random.nextInt(2 * k) : random.nextInt(20_000);
            ErasureCodec codec = ErasureCodecs.java(k, m);
            StripeLayout layout = StripeLayout.of(codec, chunkLength);
            byte[] content = new byte[chunkLength];
            random.nextBytes(content);
            int offset = random.nextInt(5);
            ByteBuffer chunk = ByteBuffer.allocate(offset + chunkLength).position(offset);
            chunk.put(offset, content);
            ByteBuffer[] data = layout.split(chunk);
            ByteBuffer[] parity = layout.allocateParity(random.nextBoolean());
            codec.encode(data, parity);
            ByteBuffer[] blocks = new ByteBuffer[k + m];
            boolean[] present = new boolean[k + m];
            for (int i = 0; i < k + m; i++) {
                blocks[i] = i < k ? data[i] : parity[i - k];
                present[i] = true;
            }
            for (int lost = 0; lost < Math.min(m, k); lost++) {
                present[lost] = false;
                blocks[lost] = ByteBuffer.allocate(layout.blockLength());
            }
            codec.decode(blocks, present);
            ByteBuffer[] rebuilt = java.util.Arrays.copyOf(blocks, k);
            assertThat(bytes(layout.join(rebuilt))).as("%d+%d chunk of %d; %s", k, m, chunkLength, seed.reproduce())
                    .isEqualTo(content);
            ByteBuffer target = ByteBuffer.allocate(chunkLength + 3).position(2);
            layout.join(rebuilt, target);
            assertThat(target.position()).isEqualTo(2 + chunkLength);
        }
    }

    @Test
    void badArgumentsAreRejected() {
        assertThatThrownBy(() -> new StripeLayout(0, 1, 5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new StripeLayout(4, 17, 5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new StripeLayout(4, 2, -1)).isInstanceOf(IllegalArgumentException.class);
        StripeLayout layout = new StripeLayout(4, 2, 10);
        assertThatThrownBy(() -> layout.split(ByteBuffer.allocate(9))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("10 bytes");
        ByteBuffer[] blocks = layout.split(ByteBuffer.allocate(10));
        assertThatThrownBy(() -> layout.join(java.util.Arrays.copyOf(blocks, 3))).isInstanceOf(IllegalArgumentException.class);
        ByteBuffer small = ByteBuffer.allocate(9);
        assertThatThrownBy(() -> layout.join(blocks, small)).isInstanceOf(IllegalArgumentException.class);
        assertThat(small.position()).isZero();
        assertThatThrownBy(() -> layout.join(blocks, ByteBuffer.allocate(10).asReadOnlyBuffer()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
