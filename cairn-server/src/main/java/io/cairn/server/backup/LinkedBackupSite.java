package io.cairn.server.backup;

import io.cairn.core.partition.PartitionId;
import io.cairn.meta.BackupTarget;
import io.cairn.meta.MetaClient;
import io.cairn.node.BackupLink;
import io.cairn.protocol.BackupLedger;
import io.cairn.protocol.ShipPosition;
import io.cairn.protocol.Shipment;
import io.cairn.server.gateway.SseS3;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backup site this cluster ships to, as its meta service keeps it ({@code cairn admin replicate
 * add}, {@link BackupTarget}), read again every {@link #REFRESH_MILLIS}: each call goes to the
 * site linked now over an {@link HttpBackupLink}. With none linked, every call fails, and the
 * replication protocol asks again later.
 */
public final class LinkedBackupSite implements BackupLink, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LinkedBackupSite.class);
    public static final long REFRESH_MILLIS = 2000;
    /** What the admin key of a backup site is sealed for. */
    public static final String SEAL_PURPOSE = "cairn backup site key";

    private final MetaClient meta;
    private final SseS3 secrets;
    private final String region;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("backup-link").daemon().factory());
    private volatile Linked linked;
    private boolean failing;

    /** The target as read, and the link built for it. */
    private record Linked(BackupTarget target, HttpBackupLink link) {}

    /**
     * @param secretsOrNull opens an admin key sealed under the cluster's master key; null on a
     *                      cluster without one (keys are then kept in clear)
     */
    public LinkedBackupSite(MetaClient meta, SseS3 secretsOrNull, String region) {
        this.meta = meta;
        this.secrets = secretsOrNull;
        this.region = region;
    }

    public LinkedBackupSite start() {
        timer.scheduleWithFixedDelay(this::refresh, 0, REFRESH_MILLIS, TimeUnit.MILLISECONDS);
        return this;
    }

    /** Reads the target again; a new one gets a new link. */
    public synchronized void refresh() {
        try {
            BackupTarget t = meta.readBackupTarget();
            Linked now = linked;
            if (t == null) {
                if (now != null) {
                    log.info("backup site: none linked any more");
                }
                linked = null;
            } else if (now == null || !now.target().equals(t)) {
                linked = new Linked(t, link(t, secrets, region));
                log.info("backup site: ships to {}", t.endpoints());
            }
            if (linked != null) {
                linked.link().refreshRoutes();
            }
            failing = false;
        } catch (io.cairn.meta.MetaUnavailableException e) {
            if (!failing) {
                failing = true;
                log.warn("backup site: the meta service did not answer; the link stays as it was: {}", e.toString());
            }
        } catch (IOException | RuntimeException e) {
            log.error("backup site: the link cannot be made", e);
        }
    }

    /** The link to {@code t}: its admin key opened, its CA trusted. */
    public static HttpBackupLink link(BackupTarget t, SseS3 secretsOrNull, String region) throws IOException {
        String key = t.adminKey();
        if (key.startsWith(SseS3.SEALED_SECRET_PREFIX)) {
            if (secretsOrNull == null) {
                throw new IOException("the backup site's admin key is sealed, and this node has no SSE master key to open it");
            }
            key = new String(secretsOrNull.openBytes(SEAL_PURPOSE, key), StandardCharsets.UTF_8);
        }
        javax.net.ssl.SSLContext tls = trust(t.caPem());
        return new HttpBackupLink(t.endpoints(), key, region, tls);
    }

    /** The region the backup site's nodes check signatures for (this cluster's own). */
    public String region() {
        return region;
    }

    /** A client context that trusts only the PEM certificates {@code caPemOrNull}; null (the JVM's trusted CAs) for none. */
    public static javax.net.ssl.SSLContext trust(String caPemOrNull) throws IOException {
        if (caPemOrNull == null) {
            return null;
        }
        Path pem = Files.createTempFile("cairn-backup-ca", ".pem");
        try {
            Files.writeString(pem, caPemOrNull);
            return io.cairn.meta.tls.ServerTls.clientContext(pem);
        } finally {
            Files.deleteIfExists(pem);
        }
    }

    /** The link to the site linked now, if any. */
    public Optional<HttpBackupLink> current() {
        Linked l = linked;
        return l == null ? Optional.empty() : Optional.of(l.link());
    }

    /** The site linked now, if any. */
    public Optional<BackupTarget> target() {
        Linked l = linked;
        return l == null ? Optional.empty() : Optional.of(l.target());
    }

    private static <T> CompletableFuture<T> none() {
        return CompletableFuture.failedFuture(new IOException("no backup site is linked (cairn admin replicate add)"));
    }

    @Override
    public CompletableFuture<Map<PartitionId, ShipPosition>> positions(Set<PartitionId> partitions) {
        return current().map(l -> l.positions(partitions)).orElseGet(LinkedBackupSite::none);
    }

    @Override
    public CompletableFuture<BackupLedger.Decision> ship(Shipment page) {
        Objects.requireNonNull(page, "page");
        Linked l = linked;
        return l == null ? none() : l.link().ship(linkedOnly(page, l.target()));
    }

    /**
     * The page with the records of the buckets {@code target} links: all of them for a link of the
     * whole cluster; else those whose key names a linked bucket, and those that name none (chunks
     * written before chunk ids named their bucket: which bucket's they are is not known here).
     */
    static Shipment linkedOnly(Shipment page, BackupTarget target) {
        if (target.buckets().isEmpty()) {
            return page;
        }
        java.util.List<io.cairn.protocol.LogRecord> kept = page.records().stream()
                .filter(r -> io.cairn.server.gateway.ObjectKeys.bucketOf(r.key()).map(target::links).orElse(true)).toList();
        java.util.List<Shipment.Held> held = page.held().stream()
                .filter(h -> io.cairn.server.gateway.ObjectKeys.bucketOf(h.key()).map(target::links).orElse(true)).toList();
        return kept.size() == page.records().size() && held.size() == page.held().size() ? page : page.with(kept, held);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
