package io.cairn.bench.s3;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WriteHistoryTest {

    @Test
    void aGetAfterOneAcknowledgedOverwriteMustNotReturnTheGenerationBefore() {
        WriteHistory h = new WriteHistory(1);
        h.acknowledged(0, h.began(0, 1, 10), 20);
        h.acknowledged(0, h.began(0, h.nextGeneration(0), 30), 40);
        assertThat(h.refusal(0, 2, 50, 60)).isNull();
        assertThat(h.refusal(0, 1, 50, 60)).contains("overwritten by generation 2");
        assertThat(h.refusal(0, 1, 35, 60)).as("the overwrite was not acknowledged when the GET began").isNull();
    }

    @Test
    void twoOverlappingPutsMayTakeEffectInEitherOrder() {
        WriteHistory h = new WriteHistory(1);
        h.acknowledged(0, h.began(0, 1, 10), 20);
        long[] second = h.began(0, h.nextGeneration(0), 30);
        long[] third = h.began(0, h.nextGeneration(0), 35);
        h.acknowledged(0, third, 40);
        h.acknowledged(0, second, 45);
        assertThat(h.refusal(0, 2, 50, 60)).isNull();
        assertThat(h.refusal(0, 3, 50, 60)).isNull();
        assertThat(h.refusal(0, 1, 50, 60)).contains("overwritten");
    }

    @Test
    void aGetCannotReturnWhatWasWrittenAfterItOrNever() {
        WriteHistory h = new WriteHistory(2);
        h.acknowledged(1, h.began(1, 1, 10), 20);
        h.began(1, h.nextGeneration(1), 70);
        assertThat(h.refusal(1, 2, 50, 60)).contains("after the GET ended");
        assertThat(h.refusal(1, 2, 50, 80)).as("a PUT still in flight may be seen").isNull();
        assertThat(h.refusal(1, 7, 50, 60)).contains("never written");
        assertThat(h.refusal(0, 1, 50, 60)).contains("never written");
    }
}
