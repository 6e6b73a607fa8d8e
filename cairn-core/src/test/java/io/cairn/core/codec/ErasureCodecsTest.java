package io.cairn.core.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The factory's choice of engine, its override property, and shape checks. */
class ErasureCodecsTest {

    @AfterEach
    void clearOverride() {
        System.clearProperty(ErasureCodecs.ENGINE_PROPERTY);
    }

    @Test
    void bestIsIsalWhenItLoadsElseJava() {
        ErasureCodec codec = ErasureCodec.create(8, 3);
        assertThat(codec.name()).isEqualTo(ErasureCodecs.isalAvailable() ? "isal" : "java");
        assertThat(ErasureCodecs.isalUnavailableReason().isEmpty()).isEqualTo(ErasureCodecs.isalAvailable());
    }

    @Test
    void propertyForcesAnEngine() {
        System.setProperty(ErasureCodecs.ENGINE_PROPERTY, "java");
        assertThat(ErasureCodecs.best(4, 2).name()).isEqualTo("java");
        System.setProperty(ErasureCodecs.ENGINE_PROPERTY, "nonsense");
        assertThatThrownBy(() -> ErasureCodecs.best(4, 2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("auto, isal or java");
        System.setProperty(ErasureCodecs.ENGINE_PROPERTY, "isal");
        if (ErasureCodecs.isalAvailable()) {
            assertThat(ErasureCodecs.best(4, 2).name()).isEqualTo("isal");
        } else {
            assertThatThrownBy(() -> ErasureCodecs.best(4, 2)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void shapesOutsideTheLimitsAreRejected() {
        for (int[] shape : new int[][] {{0, 1}, {33, 1}, {1, 0}, {1, 17}, {-1, 2}}) {
            assertThatThrownBy(() -> ErasureCodecs.best(shape[0], shape[1])).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("1<=k<=32");
            assertThatThrownBy(() -> ErasureCodecs.java(shape[0], shape[1])).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(ErasureCodecs.best(32, 16).totalBlocks()).isEqualTo(48);
    }
}
