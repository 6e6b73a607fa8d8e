package io.cairn.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** The order in which a chunk read asks the holders: its own copy, then its own site, then the rest. */
class ChunkSourceOrderTest {

    private static final List<String> UP = List.of("a1", "b1", "a2", "b2");
    private static final Predicate<String> SITE_A = h -> h.startsWith("a");

    @Test
    void ownCopyFirstThenTheOwnSiteWithItsPrimaryThenTheOtherSite() {
        assertThat(PartitionClient.sourceOrder(UP, Optional.of("b1"), Optional.of("a2"), 0, SITE_A))
                .containsExactly("a2", "a1", "b1", "b2");
        assertThat(PartitionClient.sourceOrder(UP, Optional.of("a2"), Optional.of("a9"), -1, SITE_A))
                .as("no copy here, no spread: the primary, being in this site").containsExactly("a2", "a1", "b1", "b2");
        assertThat(PartitionClient.sourceOrder(UP, Optional.of("b2"), Optional.of("a9"), -1, SITE_A))
                .as("a remote primary comes after every holder of this site").containsExactly("a1", "a2", "b2", "b1");
    }

    @Test
    void theSpreadPicksAmongTheOwnSitesHoldersAndAmongAllWhenItHasNone() {
        Set<String> firsts = new java.util.HashSet<>();
        for (int spread = 0; spread < 8; spread++) {
            List<String> order = PartitionClient.sourceOrder(UP, Optional.of("b1"), Optional.of("a9"), spread, SITE_A);
            assertThat(order).containsExactlyInAnyOrderElementsOf(UP);
            firsts.add(order.getFirst());
        }
        assertThat(firsts).containsExactlyInAnyOrder("a1", "a2");
        firsts.clear();
        for (int spread = 0; spread < 8; spread++) {
            firsts.add(PartitionClient.sourceOrder(UP, Optional.of("b1"), Optional.of("c9"), spread, h -> h.startsWith("c")).getFirst());
        }
        assertThat(firsts).as("no holder in this site").containsExactlyInAnyOrderElementsOf(UP);
    }

    @Test
    void oneSiteKeepsTheFormerOrder() {
        Predicate<String> everywhere = h -> true;
        assertThat(PartitionClient.sourceOrder(UP, Optional.of("b1"), Optional.empty(), 2, everywhere))
                .containsExactly("a2", "b1", "a1", "b2");
        assertThat(PartitionClient.sourceOrder(UP, Optional.of("b1"), Optional.of("a1"), 2, everywhere))
                .containsExactly("a1", "b1", "a2", "b2");
    }
}
