package io.cairn.meta;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The emulated wide-area links between sites, for tests on one machine: one delay and loss for
 * every pair of sites ({@code site_delay_millis}, {@code site_loss_percent}), and a link of its own
 * for the pairs that differ ({@code site_links}: a tie-breaker's site nearer than the other data
 * site, say). Nodes of one site talk without delay. Immutable; each pair's {@link WanLink} is
 * made once.
 */
public final class SiteLinks {

    /** No emulated link at all: every call goes straight through. */
    public static final SiteLinks NONE = new SiteLinks(null, Map.of());

    /** The most delay a configuration may ask for, each way. */
    public static final long DELAY_MILLIS_MAX = 10_000;

    /**
     * The link between two sites, either way round.
     *
     * @param delayMillis the one-way delay, 0 (none) to {@link #DELAY_MILLIS_MAX}
     * @param lossPercent the share of messages lost and sent again, 0 to {@link WanLink#LOSS_PERCENT_MAX}; needs a delay
     */
    public record Pair(String siteA, String siteB, long delayMillis, double lossPercent) {
        public Pair {
            if (siteA == null || siteA.isBlank() || siteB == null || siteB.isBlank()) {
                throw new IllegalArgumentException("a site link names two sites: " + siteA + ", " + siteB);
            }
            if (siteA.equals(siteB)) {
                throw new IllegalArgumentException("a site link joins two different sites, not " + siteA + " to itself");
            }
            requireLink(delayMillis, lossPercent);
        }

        Key key() {
            return Key.of(siteA, siteB);
        }
    }

    private record Key(String first, String second) {
        static Key of(String a, String b) {
            return a.compareTo(b) <= 0 ? new Key(a, b) : new Key(b, a);
        }
    }

    private final WanLink defaultLink;
    /** Pairs with a setting of their own; an empty value: no delay between them. */
    private final Map<Key, Optional<WanLink>> pairs;

    private SiteLinks(WanLink defaultLink, Map<Key, Optional<WanLink>> pairs) {
        this.defaultLink = defaultLink;
        this.pairs = Map.copyOf(pairs);
    }

    /**
     * @param delayMillis one-way delay between any two sites not in {@code pairs} (0: none)
     * @param lossPercent their share of messages lost and sent again (needs a delay)
     * @param pairs       the pairs of sites with a link of their own, each pair at most once
     */
    public static SiteLinks of(long delayMillis, double lossPercent, List<Pair> pairs) {
        requireLink(delayMillis, lossPercent);
        Map<Key, Optional<WanLink>> own = new HashMap<>();
        for (Pair p : pairs) {
            Optional<WanLink> link = p.delayMillis() == 0 ? Optional.empty() : Optional.of(new WanLink(p.delayMillis(), p.lossPercent()));
            if (own.put(p.key(), link) != null) {
                throw new IllegalArgumentException("the link between " + p.siteA() + " and " + p.siteB() + " is given twice");
            }
        }
        if (delayMillis == 0 && own.values().stream().allMatch(Optional::isEmpty)) {
            return NONE;
        }
        return new SiteLinks(delayMillis == 0 ? null : new WanLink(delayMillis, lossPercent), own);
    }

    /** One link for every pair of sites (0: none). */
    public static SiteLinks uniform(long delayMillis, double lossPercent) {
        return of(delayMillis, lossPercent, List.of());
    }

    private static void requireLink(long delayMillis, double lossPercent) {
        if (delayMillis < 0 || delayMillis > DELAY_MILLIS_MAX) {
            throw new IllegalArgumentException("a delay between sites must be 0 (none) to " + DELAY_MILLIS_MAX + " ms: " + delayMillis);
        }
        if (!(lossPercent >= 0 && lossPercent <= WanLink.LOSS_PERCENT_MAX) || lossPercent > 0 && delayMillis == 0) {
            throw new IllegalArgumentException("loss between sites must be 0 to " + WanLink.LOSS_PERCENT_MAX
                    + " percent, with a delay: " + lossPercent);
        }
    }

    /** Whether no pair of sites has a link: nothing is delayed. */
    public boolean isEmpty() {
        return this == NONE;
    }

    /** The link calls between a node of {@code site} and one of {@code otherSite} cross; empty within a site or without a delay. */
    public Optional<WanLink> between(String site, String otherSite) {
        Objects.requireNonNull(site, "site");
        Objects.requireNonNull(otherSite, "otherSite");
        if (site.equals(otherSite) || isEmpty()) {
            return Optional.empty();
        }
        Optional<WanLink> own = pairs.get(Key.of(site, otherSite));
        return own != null ? own : Optional.ofNullable(defaultLink);
    }
}
