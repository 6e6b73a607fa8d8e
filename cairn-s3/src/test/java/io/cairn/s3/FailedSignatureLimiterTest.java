package io.cairn.s3;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FailedSignatureLimiterTest {

  private static final long T0 = 1_700_000_000_000L - 1_700_000_000_000L % FailedSignatureLimiter.WINDOW_MILLIS;

  @Test
  void anAddressIsOverItsLimitAtTheLimitAndOthersAreNot() {
    FailedSignatureLimiter limiter = new FailedSignatureLimiter(3);
    for (int i = 0; i < 2; i++) limiter.failed("10.0.0.1", T0 + i);
    assertThat(limiter.blocked("10.0.0.1", T0 + 10)).isFalse();
    limiter.failed("10.0.0.1", T0 + 20);
    assertThat(limiter.blocked("10.0.0.1", T0 + 30)).isTrue();
    assertThat(limiter.blocked("10.0.0.2", T0 + 30)).isFalse();
  }

  @Test
  void theCountSlidesOutOfTheWindow() {
    FailedSignatureLimiter limiter = new FailedSignatureLimiter(4);
    for (int i = 0; i < 4; i++) limiter.failed("a", T0 + 50_000);
    assertThat(limiter.blocked("a", T0 + 59_000)).isTrue();
    // A quarter into the next minute, three quarters of the last one's four still count: 3 < 4.
    assertThat(limiter.blocked("a", T0 + 75_000)).isFalse();
    limiter.failed("a", T0 + 75_000);
    assertThat(limiter.blocked("a", T0 + 75_000)).isTrue();
    assertThat(limiter.blocked("a", T0 + 180_000)).as("two minutes on, nothing counts").isFalse();
  }

  @Test
  void aLimitOfZeroCountsNothing() {
    FailedSignatureLimiter limiter = new FailedSignatureLimiter(0);
    for (int i = 0; i < 1000; i++) limiter.failed("a", T0);
    assertThat(limiter.blocked("a", T0)).isFalse();
  }
}
