package io.cairn.node;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.placement.PlacementFunction;
import io.cairn.core.placement.PlacementTable;
import io.cairn.core.placement.RendezvousPlacement;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's view of the cluster map and the placement computed from it. Maps only move
 * forward: a map whose epoch is not newer than the current one is ignored. Listeners see every
 * installed map in epoch order, one at a time.
 */
public final class MapView {

    private static final Logger log = LoggerFactory.getLogger(MapView.class);

    /** One installed map and its placement table, computed once per epoch. */
    public record Current(ClusterMap map, PlacementTable placement) {
        public long epoch() {
            return map.epoch();
        }
    }

    /** The placement function every node uses. */
    public static final PlacementFunction PLACEMENT = new RendezvousPlacement();

    private final Supplier<ClusterMap> fetcher;
    private final List<Consumer<Current>> listeners = new CopyOnWriteArrayList<>();
    private final Object refreshLock = new Object();
    private volatile Current current;

    /** @param fetcher reads the authoritative map from the meta service (may throw when it is unavailable) */
    public MapView(Supplier<ClusterMap> fetcher) {
        this.fetcher = fetcher;
        ClusterMap empty = ClusterMap.empty();
        this.current = new Current(empty, PlacementTable.compute(empty, PLACEMENT));
    }

    public Current current() {
        return current;
    }

    public long epoch() {
        return current.epoch();
    }

    public void addListener(Consumer<Current> listener) {
        listeners.add(listener);
    }

    /** Installs {@code map} if it is newer; returns whether it was. */
    public synchronized boolean install(ClusterMap map) {
        if (map.epoch() <= current.epoch()) {
            return false;
        }
        Current next = new Current(map, PlacementTable.compute(map, PLACEMENT));
        long previous = current.epoch();
        current = next;
        log.info("map epoch {} -> {} ({} nodes, {} up, {} acting sets, {} slot pins)", previous, map.epoch(), map.nodes().size(),
                map.upNodes().size(), map.acting().size(), map.pins().size());
        for (Consumer<Current> l : listeners) {
            try {
                l.accept(next);
            } catch (RuntimeException e) {
                log.error("map listener failed at epoch {}", map.epoch(), e);
                throw e;
            }
        }
        return true;
    }

    /** Fetches the map from the meta service and installs it; returns the current view. */
    public Current refresh() {
        long before = current.epoch();
        synchronized (refreshLock) {
            if (current.epoch() > before) {
                return current; // another caller refreshed while we waited
            }
            install(fetcher.get());
            return current;
        }
    }

    /** Makes sure the view is at least at {@code epoch}, fetching the map if a peer has seen a newer one. */
    public Current ensureEpoch(long epoch) {
        Current c = current;
        if (epoch > c.epoch()) {
            c = refresh();
        }
        return c;
    }
}
