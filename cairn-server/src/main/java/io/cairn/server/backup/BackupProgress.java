package io.cairn.server.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.meta.CutLog;
import io.cairn.server.admin.ClusterStatus;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * How far a primary site's backup site is: every {@link #INTERVAL_MILLIS} a node of the primary
 * asks the backup which round it shows ({@code GET /_cairn/backup/mark}), and the status sets it
 * against the cuts recorded here: how many rounds behind, and how many seconds since the round
 * it shows was recorded (the backup shows the primary as it was then).
 */
public final class BackupProgress implements AutoCloseable {

    public static final long INTERVAL_MILLIS = 2000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final LinkedBackupSite link;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("backup-progress").daemon().factory());
    private volatile Answer last;

    private record Answer(List<String> endpoints, long shownRound, String stage, long askedAtMillis, String error) {}

    public BackupProgress(LinkedBackupSite link) {
        this.link = link;
    }

    public BackupProgress start() {
        timer.scheduleWithFixedDelay(this::ask, 0, INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
        return this;
    }

    private void ask() {
        long now = System.currentTimeMillis();
        Answer before = last;
        java.util.Optional<io.cairn.meta.BackupTarget> target = link.target();
        java.util.Optional<HttpBackupLink> to = link.current();
        if (target.isEmpty() || to.isEmpty()) {
            last = null;
            return;
        }
        List<String> endpoints = target.get().endpoints();
        boolean same = before != null && before.endpoints().equals(endpoints);
        try {
            JsonNode m = JSON.readTree(to.get().mark().get(30, TimeUnit.SECONDS));
            last = new Answer(endpoints, m.path("shown_round").asLong(), m.path("stage").asText(), now, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            String why = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause().getMessage() : e.toString();
            last = new Answer(endpoints, same ? before.shownRound() : 0, same ? before.stage() : null, now, why);
        }
    }

    /**
     * The status's {@code backup_site}, against this cluster's cuts and the bytes its nodes report
     * not shipped yet, in {@code state}; null while no backup site is linked.
     */
    public ClusterStatus.BackupSite status(io.cairn.meta.MetaState state, long nowMillis) {
        CutLog cuts = state.cutLog();
        long unshippedBytes = ClusterStatus.unshippedBytes(state.map(), state.stats());
        java.util.Map<String, String> notShipped = BucketShipper.notShipped(state.map(), state.backupTarget());
        Answer a = last;
        if (a == null) {
            return link.target().map(t -> new ClusterStatus.BackupSite(t.endpoints(), false, "not asked yet", 0, null,
                    cuts.lastRecorded(), null, null, unshippedBytes, null, notShipped)).orElse(null);
        }
        List<String> endpoints = a.endpoints();
        OptionalLong at = a.shownRound() == 0 ? OptionalLong.empty() : cuts.recordedAt(a.shownRound());
        return new ClusterStatus.BackupSite(endpoints, a.error() == null, a.error(), a.shownRound(), a.stage(),
                Math.max(0, cuts.lastRecorded() - a.shownRound()),
                at.isPresent() ? Instant.ofEpochMilli(at.getAsLong()).toString() : null,
                at.isPresent() ? Math.max(0, nowMillis - at.getAsLong()) / 1000.0 : null, unshippedBytes,
                Instant.ofEpochMilli(a.askedAtMillis()).toString(), notShipped);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
