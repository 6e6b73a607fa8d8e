package io.cairn.server.admin;

import io.cairn.node.StorageNode;
import io.cairn.core.store.StoreStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.function.ToDoubleFunction;

/**
 * The node's metrics in the Prometheus text format, served at {@code GET /_cairn/metrics}. Store
 * figures are read when scraped, at most once per scrape.
 */
public final class NodeMetrics {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final StorageNode node;
    private volatile StoreStats lastStats;
    private final java.util.function.Supplier<ClusterStatus> clusterStatus;
    private volatile ClusterStatus lastStatus;

    /** @param clusterStatus the cluster's status (read from the meta service at each scrape) for the cluster-wide repair figures */
    public NodeMetrics(StorageNode node, java.util.function.Supplier<ClusterStatus> clusterStatus) {
        this.node = node;
        this.clusterStatus = clusterStatus;
        registry.config().commonTags("node", node.config().nodeId());
        storeGauge("cairn_store_capacity_bytes", "Bytes the node's data directories hold in all", s -> s.capacityBytes());
        storeGauge("cairn_store_free_bytes", "Free bytes in the node's data directories", s -> s.freeBytes());
        storeGauge("cairn_store_used_bytes", "Bytes the node's stored data takes", s -> s.usedBytes());
        storeGauge("cairn_store_records", "Records (index entries, chunks, tombstones) in the store", s -> s.records());
        FunctionCounter.builder("cairn_store_corruptions_detected", this, m -> m.stats().corruptionsDetected())
                .description("Reads whose checksum failed since the node started").register(registry);
        storeGauge("cairn_store_full", "1 when the node refuses writes for lack of space", s -> s.full() ? 1 : 0);
        storeGauge("cairn_store_failed_data_dirs", "Data directories taken out after I/O errors", s -> s.failedDataDirs());
        gauge(registry, "cairn_map_epoch", "Epoch of the cluster map this node holds", n -> n.mapView().epoch());
        gauge(registry, "cairn_nodes_up", "Nodes up in this node's map", n -> n.mapView().current().map().upNodes().size());
        gauge(registry, "cairn_nodes", "Nodes in this node's map", n -> n.mapView().current().map().nodes().size());
        gauge(registry, "cairn_partitions_recovering", "Partitions this node holds that are peering or catching up",
                n -> n.driver().report().partitionsRecovering());
        gauge(registry, "cairn_partitions_waiting_for_holder", "Partitions this node is primary of that take no reads or writes until a "
                + "holder whose copy has every acknowledged write is back (the holders up all missed writes while away)",
                n -> n.driver().report().partitionsWaiting());
        FunctionCounter.builder("cairn_recovery_bytes", node, n -> n.driver().report().recoveryBytesPulled())
                .description("Bytes this node pulled from peers for catch-up and re-protection").register(registry);
        gauge(registry, "cairn_nodes_out", "Nodes marked out in this node's map (their data re-protected elsewhere)",
                n -> n.mapView().current().map().nodes().stream().filter(x -> !x.in()).count());
        gauge(registry, "cairn_degraded_mode", "1 when the cluster runs without full redundancy and does not re-protect (see status)",
                n -> n.mapView().current().map().degradedReason() == null ? 0 : 1);
        gauge(registry, "cairn_partitions_not_held", "Partitions this node stores copies of without holding them (to be handed over and dropped)",
                n -> n.driver().report().partitionsStoredNotHeld());
        FunctionCounter.builder("cairn_partitions_dropped", node, n -> n.driver().report().partitionsDropped())
                .description("Copies of partitions this node no longer holds that it dropped once the cluster settled").register(registry);
        FunctionCounter.builder("cairn_scrub_bytes", node, n -> n.driver().report().scrubBytes())
                .description("Bytes of this node's copies the scrub read and checked").register(registry);
        FunctionCounter.builder("cairn_scrub_damaged", node, n -> n.driver().report().scrubDamaged())
                .description("Damaged or missing copies the scrub found").register(registry);
        FunctionCounter.builder("cairn_scrub_repaired", node, n -> n.driver().report().scrubRepaired())
                .description("Damaged or missing copies the scrub had rewritten from the other holders").register(registry);
        FunctionCounter.builder("cairn_scrub_passes", node, n -> n.driver().report().scrubPasses())
                .description("Scrub passes over everything this node holds, since start").register(registry);
        gauge(registry, "cairn_peers_suspect", "Nodes sharing a partition with this one that stopped answering its pings",
                n -> n.driver().report().suspects().size());
        gauge(registry, "cairn_records_under_protected",
                "Records written with fewer copies than their pool asks for, not yet known to have them all, in partitions this node is primary of",
                n -> n.driver().report().underProtectedRecords());
        gauge(registry, "cairn_backup_unshipped_bytes",
                "Bytes written through partitions this node is primary of that the backup site does not have yet (0 without one)",
                n -> n.driver().report().unshippedBytes());
        FunctionCounter.builder("cairn_recovery_under_protected_copied", node, n -> n.driver().report().underProtectedCopied())
                .description("Under-protected records this node copied ahead of the rest of a catch-up").register(registry);
        repairGauge("cairn_cluster_repair_bytes_left", "Bytes the cluster has left to re-protect (estimate; see status)",
                ClusterStatus.Repair::bytesLeft);
        repairGauge("cairn_cluster_repair_partitions_left", "Partitions degraded or recovering in the cluster",
                ClusterStatus.Repair::partitionsLeft);
        repairGauge("cairn_cluster_repair_bytes_per_second", "Re-protection rate measured over the last scrapes and status requests",
                ClusterStatus.Repair::bytesPerSecond);
        repairGauge("cairn_cluster_repair_eta_seconds", "Seconds until re-protection is done at the measured rate; -1 while not known",
                ClusterStatus.Repair::etaSeconds);
        repairGauge("cairn_cluster_records_under_protected", "Records in the cluster written with fewer copies than their pool asks for",
                ClusterStatus.Repair::underProtectedRecords);
        FunctionCounter.builder("cairn_stripes_decoded", node, n -> n.driver().report().stripesDecoded())
                .description("Erasure-coded chunk reads that had to rebuild data blocks from parity").register(registry);
        FunctionCounter.builder("cairn_blocks_repaired", node, n -> n.driver().report().blocksRepaired())
                .description("Damaged erasure-coded blocks this node's reads rebuilt and had rewritten at their holders").register(registry);
        FunctionCounter.builder("cairn_stripes_rolled_back", node, n -> n.driver().report().stripesRolledBack())
                .description("Erasure-coded writes that did not complete, rolled back by a tombstone at this node as primary").register(registry);
    }

    private void storeGauge(String name, String help, ToDoubleFunction<StoreStats> f) {
        Gauge.builder(name, this, m -> f.applyAsDouble(m.stats())).description(help).register(registry);
    }

    private void repairGauge(String name, String help, ToDoubleFunction<ClusterStatus.Repair> f) {
        Gauge.builder(name, this, m -> {
            ClusterStatus s = m.lastStatus;
            return s == null ? Double.NaN : f.applyAsDouble(s.repair());
        }).description(help).register(registry);
    }

    private StoreStats stats() {
        StoreStats s = lastStats;
        return s == null ? node.store().stats() : s;
    }

    private void gauge(MeterRegistry r, String name, String help, ToDoubleFunction<StorageNode> f) {
        Gauge.builder(name, node, f).description(help).register(r);
    }

    /** The Prometheus exposition text. */
    public String scrape() {
        lastStats = node.store().stats();
        node.driver().refreshReport();
        try {
            lastStatus = clusterStatus.get();
        } catch (RuntimeException e) {
            lastStatus = null; // the meta service is out of reach: the cluster figures are left out of this scrape
        }
        try {
            return registry.scrape();
        } finally {
            lastStats = null;
            lastStatus = null;
        }
    }
}
