package io.cairn.core.codec;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The pure-Java codec with its Vector API kernel passes the codec contract. */
class JavaErasureCodecTest extends ErasureCodecContractTest {

    @Override
    ErasureCodec codec(int k, int m) {
        return ErasureCodecs.java(k, m);
    }

    @Test
    void usesTheVectorKernelWhenTheIncubatorModuleIsLoaded() {
        assertThat(ModuleLayer.boot().findModule("jdk.incubator.vector")).as("tests run with the incubator module").isPresent();
        assertThat(codec(4, 2).name()).isEqualTo("java");
    }
}
