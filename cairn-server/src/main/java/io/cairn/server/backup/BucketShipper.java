package io.cairn.server.backup;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.core.map.BucketInfo;
import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.map.StoragePolicy;
import io.cairn.node.MapView;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the primary site's buckets to its backup site, from the primary's first up node, whenever
 * they change (and every {@link #RESEND_EVERY} seconds): the backup creates each one it lacks, with
 * the same creation time (which names the bucket's records) and owner, so that the records shipped
 * to it serve the same buckets; takes their settings; and drops the ones gone here
 * ({@link BackupSite#takeBuckets}). Only the buckets linked are sent (every one, when the whole
 * cluster is). Buckets whose index or data are in an erasure-coded pool are not sent: such pools
 * are not shipped yet.
 */
public final class BucketShipper implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BucketShipper.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final long INTERVAL_MILLIS = 1000;
    /** Sent again unchanged every this many intervals, for a backup site whose map was rebuilt. */
    private static final int RESEND_EVERY = 30;

    /** What is sent: the buckets, the pools they are in, and the epoch of the map they are from. */
    public record Buckets(@JsonProperty("buckets") List<BucketInfo> buckets, @JsonProperty("pools") List<PoolInfo> pools,
                          @JsonProperty("epoch") long epoch) {}

    private final MapView mapView;
    private final String self;
    private final LinkedBackupSite link;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("bucket-shipper").daemon().factory());
    private byte[] lastSent;
    private int ticks;
    private boolean failing;

    public BucketShipper(MapView mapView, String self, LinkedBackupSite link) {
        this.mapView = mapView;
        this.self = self;
        this.link = link;
    }

    public BucketShipper start() {
        timer.scheduleWithFixedDelay(this::tick, 0, INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
        return this;
    }

    /** The buckets (of those {@code targetOrNull} links, every one when null) and pools a backup site is sent from {@code map}. */
    public static Buckets of(ClusterMap map, io.cairn.meta.BackupTarget targetOrNull) {
        Set<String> replicated = new TreeSet<>();
        map.pools().stream().filter(p -> p.policy().kind() == StoragePolicy.Kind.REPLICATED).forEach(p -> replicated.add(p.name()));
        List<BucketInfo> buckets = map.buckets().stream()
                .filter(b -> targetOrNull == null || targetOrNull.links(b.name()))
                .filter(b -> replicated.contains(b.pool()) && replicated.contains(b.dataPoolName())).toList();
        List<PoolInfo> pools = map.pools().stream().filter(p -> replicated.contains(p.name())).toList();
        return new Buckets(buckets, pools, map.epoch());
    }

    /**
     * The buckets a backup site does not get, of those {@code targetOrNull} links (every one when
     * null), each with why: their index or their data is in an erasure-coded pool, which is not
     * shipped (the linked site learns of no such bucket).
     */
    public static java.util.Map<String, String> notShipped(ClusterMap map, io.cairn.meta.BackupTarget targetOrNull) {
        java.util.Map<String, String> out = new java.util.TreeMap<>();
        java.util.function.Predicate<String> erasureCoded = pool -> map.pool(pool)
                .map(p -> p.policy().kind() == StoragePolicy.Kind.ERASURE_CODED).orElse(false);
        for (BucketInfo b : map.buckets()) {
            if (targetOrNull != null && !targetOrNull.links(b.name())) {
                continue;
            }
            boolean index = erasureCoded.test(b.pool());
            boolean data = erasureCoded.test(b.dataPoolName());
            if (index || data) {
                String what = index && data ? "its index and data are" : index ? "its index is" : "its data is";
                out.put(b.name(), what + " in the erasure-coded pool " + (index ? b.pool() : b.dataPoolName())
                        + ", and erasure-coded pools are not shipped to a backup site yet");
            }
        }
        return out;
    }

    private void tick() {
        try {
            ClusterMap map = mapView.current().map();
            java.util.Optional<HttpBackupLink> to = link.current();
            if (to.isEmpty() || !map.firstUpDataNode().map(self::equals).orElse(false)) {
                lastSent = null;
                return;
            }
            byte[] body = JSON.writeValueAsBytes(of(map, link.target().orElse(null)));
            if (Arrays.equals(body, lastSent) && ++ticks % RESEND_EVERY != 0) {
                return;
            }
            byte[] answer = to.get().sendBuckets(body).get(60, TimeUnit.SECONDS);
            // Buckets the backup drops only once the round it shows has none of their objects: sent again the next time.
            lastSent = JSON.readTree(answer).path("waiting").isEmpty() ? body : null;
            if (failing) {
                failing = false;
                log.info("backup site: takes the buckets again");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            if (!failing) {
                failing = true;
                log.warn("backup site: the buckets were not taken: {}", e.getCause() == null ? e.toString() : e.getCause().toString());
            }
        } catch (RuntimeException | java.io.IOException e) {
            log.error("backup site: the buckets cannot be sent", e);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
