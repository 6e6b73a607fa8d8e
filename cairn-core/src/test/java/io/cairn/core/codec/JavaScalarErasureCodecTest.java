package io.cairn.core.codec;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The pure-Java codec's byte-at-a-time fallback kernel passes the codec contract on its own. */
class JavaScalarErasureCodecTest extends ErasureCodecContractTest {

    @Override
    ErasureCodec codec(int k, int m) {
        return ErasureCodecs.javaScalar(k, m);
    }

    @Test
    void isTheScalarKernel() {
        assertThat(codec(4, 2).name()).isEqualTo("java-scalar");
    }
}
