package io.cairn.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.protocol.erasure.BlockStamp;
import org.junit.jupiter.api.Test;

/** The time a gateway writes into a chunk, read back by the chunk sweep as it is, or behind an erasure-coded block's stamp; a chunk id's parts. */
class ChunkMetaTest {

    @Test
    void aChunkSaysWhenItWasWrittenWithOrWithoutABlockStamp() {
        long at = 1_796_000_123_456L;
        byte[] meta = ChunkSweep.chunkMeta(at);
        assertThat(ChunkSweep.writtenMillis(meta)).hasValue(at);
        byte[] stamped = new BlockStamp(2, 4, 2, 1 << 20, 0x1234_5678).wrap(meta);
        assertThat(ChunkSweep.writtenMillis(stamped)).hasValue(at);
    }

    @Test
    void aChunkOfAnEarlierReleaseOrOfAnotherFormatSaysNothing() {
        assertThat(ChunkSweep.writtenMillis(new byte[0])).isEmpty();
        assertThat(ChunkSweep.writtenMillis(new BlockStamp(0, 4, 2, 100, 7).wrap(new byte[0]))).isEmpty();
        byte[] otherFormat = ChunkSweep.chunkMeta(5);
        otherFormat[0] = 2;
        assertThat(ChunkSweep.writtenMillis(otherFormat)).isEmpty();
        assertThat(ChunkSweep.writtenMillis(new byte[] {1, 0, 0})).isEmpty();
    }

    @Test
    void aChunkIdSplitsIntoItsVersionAndNumber() {
        assertThat(ChunkSweep.ChunkName.of("photos.1796000000000/0a1b2c.12")).isEqualTo(new ChunkSweep.ChunkName("photos.1796000000000/0a1b2c", 12));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ChunkSweep.ChunkName.of("photos.17/0a1b2c.x"))
                .isInstanceOf(NumberFormatException.class);
    }
}
