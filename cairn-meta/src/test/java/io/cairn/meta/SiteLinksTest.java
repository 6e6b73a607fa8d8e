package io.cairn.meta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** One delay and loss between any two sites, a link of its own for the pairs that differ, none within a site. */
class SiteLinksTest {

    @Test
    void pairsWithALinkOfTheirOwnOverrideTheDefaultEitherWayRound() {
        SiteLinks links = SiteLinks.of(25, 1, List.of(new SiteLinks.Pair("site3", "site1", 5, 0), new SiteLinks.Pair("site2", "site3", 0, 0)));
        assertThat(links.isEmpty()).isFalse();
        assertThat(links.between("site1", "site2")).hasValueSatisfying(l -> assertThat(l.roundTripMillis()).isEqualTo(50));
        assertThat(links.between("site2", "site1")).containsSame(links.between("site1", "site2").orElseThrow());
        assertThat(links.between("site1", "site3")).hasValueSatisfying(l -> assertThat(l.roundTripMillis()).isEqualTo(10));
        assertThat(links.between("site3", "site1")).containsSame(links.between("site1", "site3").orElseThrow());
        assertThat(links.between("site3", "site2")).as("a pair with no delay of its own").isEmpty();
        assertThat(links.between("site1", "site1")).as("within a site").isEmpty();
        assertThat(links.between("site4", "site1")).as("a site no pair names takes the default").isPresent();
    }

    @Test
    void withoutADefaultOnlyThePairsNamedAreDelayed() {
        SiteLinks links = SiteLinks.of(0, 0, List.of(new SiteLinks.Pair("a", "b", 7, 0)));
        assertThat(links.between("b", "a")).hasValueSatisfying(l -> assertThat(l.roundTripMillis()).isEqualTo(14));
        assertThat(links.between("a", "c")).isEmpty();
        assertThat(SiteLinks.uniform(0, 0)).isSameAs(SiteLinks.NONE);
        assertThat(SiteLinks.of(0, 0, List.of(new SiteLinks.Pair("a", "b", 0, 0)))).isSameAs(SiteLinks.NONE);
        assertThat(SiteLinks.NONE.between("a", "b")).isEmpty();
    }

    @Test
    void badLinksAreRefusedWithTheReason() {
        assertThatThrownBy(() -> new SiteLinks.Pair("a", "a", 5, 0)).hasMessageContaining("two different sites");
        assertThatThrownBy(() -> new SiteLinks.Pair("a", " ", 5, 0)).hasMessageContaining("names two sites");
        assertThatThrownBy(() -> new SiteLinks.Pair("a", "b", -1, 0)).hasMessageContaining("0 (none) to 10000");
        assertThatThrownBy(() -> new SiteLinks.Pair("a", "b", 0, 1)).hasMessageContaining("with a delay");
        assertThatThrownBy(() -> new SiteLinks.Pair("a", "b", 5, 51)).hasMessageContaining("0 to 50");
        assertThatThrownBy(() -> SiteLinks.of(5, 0, List.of(new SiteLinks.Pair("a", "b", 5, 0), new SiteLinks.Pair("b", "a", 9, 0))))
                .hasMessageContaining("given twice");
        assertThatThrownBy(() -> SiteLinks.uniform(10_001, 0)).hasMessageContaining("0 (none) to 10000");
    }
}
