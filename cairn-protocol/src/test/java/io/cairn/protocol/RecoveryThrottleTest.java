package io.cairn.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RecoveryThrottleTest {

    @Test
    void aSecondOfBudgetGoesAtOnceThenBytesWaitTheirShare() {
        RecoveryThrottle t = new RecoveryThrottle(1000, 0);
        assertThat(t.charge(1000, 0)).isZero();
        assertThat(t.charge(500, 0)).isEqualTo(500);
        assertThat(t.charge(500, 500)).isEqualTo(1000);
        assertThat(t.charge(100, 5_000)).isEqualTo(5_000);
    }

    @Test
    void noLimitNeverWaits() {
        RecoveryThrottle t = new RecoveryThrottle(0, 0);
        assertThat(t.charge(Long.MAX_VALUE / 2, 7)).isEqualTo(7);
        assertThatThrownBy(() -> new RecoveryThrottle(-1, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
