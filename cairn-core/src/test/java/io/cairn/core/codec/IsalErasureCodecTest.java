package io.cairn.core.codec;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ISA-L codec passes the codec contract. Skipped with the reason when {@code libisal.so.2}
 * is not installed, except on CI where that fails.
 */
class IsalErasureCodecTest extends ErasureCodecContractTest {

    @BeforeAll
    static void requireIsal() {
        IsalAvailability.require();
    }

    @Override
    ErasureCodec codec(int k, int m) {
        return ErasureCodecs.isal(k, m);
    }

    @Test
    void isIsal() {
        assertThat(codec(4, 2).name()).isEqualTo("isal");
    }
}
