package io.cairn.core.map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BucketInfoTest {

    @Test
    void dataLivesInTheIndexPoolUnlessADataPoolIsNamed() {
        BucketInfo plain = new BucketInfo("photos", "rep3", "KEY", 1L, BucketInfo.INDEX_SHARDS_DEFAULT);
        assertThat(plain.dataPool()).isNull();
        assertThat(plain.dataPoolName()).isEqualTo("rep3");

        BucketInfo coded = new BucketInfo("archive", "rep3", "KEY", 1L, BucketInfo.INDEX_SHARDS_DEFAULT, "ec4+2");
        assertThat(coded.pool()).isEqualTo("rep3");
        assertThat(coded.dataPoolName()).isEqualTo("ec4+2");
    }

    @Test
    void aDataPoolEqualToTheIndexPoolIsKeptAsNull() {
        BucketInfo same = new BucketInfo("photos", "rep3", "KEY", 1L, 8, "rep3");
        assertThat(same.dataPool()).isNull();
        assertThat(same).isEqualTo(new BucketInfo("photos", "rep3", "KEY", 1L, 8));
    }

    @Test
    void aBlankDataPoolIsRefused() {
        assertThatThrownBy(() -> new BucketInfo("photos", "rep3", "KEY", 1L, 8, " "))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dataPool");
        assertThatThrownBy(() -> new BucketInfo("photos", "rep3", "KEY", 1L, 0, "ec4+2"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("indexShards");
    }
}
