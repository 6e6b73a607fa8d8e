package io.cairn.core.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PartitionHashTest {

    /** Reference XXH64 values (seed 0) from the xxHash C library; a change here moves every object. */
    @Test
    void matchesReferenceXxh64ForTextOfEveryLengthClass() {
        assertThat(PartitionHash.hash64("")).isEqualTo(0xEF46DB3751D8E999L);
        assertThat(PartitionHash.hash64("a")).isEqualTo(0xD24EC4F1A98C6E5BL);
        assertThat(PartitionHash.hash64("abc")).isEqualTo(0x44BC2CF5AD770999L);
        assertThat(PartitionHash.hash64("bucket/photos/2024/cat.jpg")).isEqualTo(0xE699E82382C9454FL);
        assertThat(PartitionHash.hash64("abcdefghijklmnopqrstuvwxyz0123456789A")).isEqualTo(0xB62CC20E352960CFL);
        assertThat(PartitionHash.hash64("0123456789abcdef0123456789abcdef0123456789")).isEqualTo(0xA76190C3ACF08A1CL);
        assertThat(PartitionHash.hash64("The quick brown fox jumps over the lazy dog, then naps under a tree for a while."))
                .isEqualTo(0x0034E13687B42011L);
    }

    @Test
    void hashesUtf8BytesNotJavaChars() {
        String text = "Grüße, 世界 🌍";
        assertThat(PartitionHash.hash64(text)).isEqualTo(0x84DB1D977DB4E538L);
        assertThat(PartitionHash.hash64(text.getBytes(StandardCharsets.UTF_8), 0)).isEqualTo(0x84DB1D977DB4E538L);
    }

    @Test
    void matchesReferenceXxh64WithSeeds() {
        assertThat(PartitionHash.hash64(new byte[0], 42)).isEqualTo(0x98B1582B0977E704L);
        assertThat(PartitionHash.hash64(bytes("a"), 42)).isEqualTo(0x88E4FE59ADF7B0CCL);
        assertThat(PartitionHash.hash64(bytes("abc"), 42)).isEqualTo(0x13C1D910702770E6L);
        assertThat(PartitionHash.hash64(bytes("0123456789abcdef0123456789abcdef0123456789"), 42)).isEqualTo(0xEC3FAFAB8CF27C18L);
        assertThat(PartitionHash.hash64(bytes("abcdefghijklmnopqrstuvwxyz0123456789A"), -1L)).isEqualTo(0x9BEFBD7857636075L);
        assertThat(PartitionHash.hash64(bytes("The quick brown fox jumps over the lazy dog, then naps under a tree for a while."), -1L))
                .isEqualTo(0x1AA20745C92BA836L);
    }

    /** Expected partitions are floor(hash * partitions / 2^64), worked out independently of this code. */
    @Test
    void partitionIsTheHighWordOfHashTimesPartitions() {
        assertThat(PartitionHash.partitionOf("abc", 256)).isEqualTo(68);
        assertThat(PartitionHash.partitionOf("abc", 1000)).isEqualTo(268);
        assertThat(PartitionHash.partitionOf("bucket/photos/2024/cat.jpg", 256)).isEqualTo(230);
        assertThat(PartitionHash.partitionOf("bucket/photos/2024/cat.jpg", 1000)).isEqualTo(900);
        assertThat(PartitionHash.partitionOf("Grüße, 世界 🌍", 65_536)).isEqualTo(34011);
        assertThat(PartitionHash.partitionOf("", 65_536)).isEqualTo(61254);
        assertThat(PartitionHash.partitionOf("anything", 1)).isZero();
        assertThat(PartitionHash.partitionOf(-1L, 7)).isEqualTo(6);
        assertThat(PartitionHash.partitionOf(0L, 7)).isZero();
    }

    @Test
    void spreadsKeysEvenlyOverPartitions() {
        int partitions = 64;
        int keys = 200_000;
        int[] counts = new int[partitions];
        for (int i = 0; i < keys; i++) {
            int p = PartitionHash.partitionOf("bucket-" + (i % 7) + "/object-" + i, partitions);
            assertThat(p).isBetween(0, partitions - 1);
            counts[p]++;
        }
        double mean = (double) keys / partitions;
        double sigma = Math.sqrt(mean * (1 - 1.0 / partitions));
        // 5 sigma: a fair hash essentially never strays that far in any of 64 bins.
        for (int count : counts) {
            assertThat((double) count).isBetween(mean - 5 * sigma, mean + 5 * sigma);
        }
    }

    @Test
    void rejectsBadInputNamingIt() {
        assertThatThrownBy(() -> PartitionHash.partitionOf("k", 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("partitions must be >= 1: 0");
        assertThatThrownBy(() -> PartitionHash.partitionOf("k", -5)).hasMessageContaining("-5");
        assertThatThrownBy(() -> PartitionHash.partitionOf(null, 8)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> PartitionHash.hash64((String) null)).isInstanceOf(NullPointerException.class);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
