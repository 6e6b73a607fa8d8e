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

    @Test
    void objectOwnershipIsKeptInTheJsonFormAndAbsentFromOlderMaps() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        BucketInfo plain = new BucketInfo("photos", "rep3", "alice", 1L, 8);
        String older = json.writeValueAsString(plain);
        assertThat(older).doesNotContain("objectOwnership");
        assertThat(json.readValue(older, BucketInfo.class).objectOwnership()).isNull();
        BucketInfo enforced = plain.withObjectOwnership(BucketInfo.OWNERSHIP_ENFORCED);
        assertThat(json.readValue(json.writeValueAsString(enforced), BucketInfo.class)).isEqualTo(enforced);
        assertThatThrownBy(() -> plain.withObjectOwnership("Everyone")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("objectOwnership");
    }
}
