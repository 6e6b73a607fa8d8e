package io.cairn.core.map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StoragePolicyTest {

    @Test
    void parsesReplicationAndErasureCoding() {
        assertThat(StoragePolicy.parse("rep3")).isEqualTo(StoragePolicy.replicated(3));
        assertThat(StoragePolicy.parse(" EC4+2 ")).isEqualTo(StoragePolicy.erasureCoded(4, 2));
        assertThat(StoragePolicy.parse("ec8+3").width()).isEqualTo(11);
        assertThat(StoragePolicy.replicated(2).toString()).isEqualTo("rep2");
    }

    @Test
    void rejectsNonsenseNamingIt() {
        assertThatThrownBy(() -> StoragePolicy.parse("raid5")).hasMessageContaining("raid5");
        assertThatThrownBy(() -> StoragePolicy.parse("rep0")).hasMessageContaining("copies");
        assertThatThrownBy(() -> StoragePolicy.parse("ec40+2")).hasMessageContaining("k=40");
    }
}
