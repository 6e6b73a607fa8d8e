package io.cairn.server.backup;

import io.cairn.meta.BackupMark;
import io.cairn.meta.MetaClient;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A backup site's mark ({@link BackupMark}: the round it shows, whether it is promoted) as the
 * meta service last said it, read again every {@link #REFRESH_MILLIS}: what its gateways serve
 * reads from. Until the first read answers, the mark is {@link BackupMark#NONE} (nothing shown,
 * no writes).
 */
public final class BackupMarks implements Supplier<BackupMark>, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BackupMarks.class);
    public static final long REFRESH_MILLIS = 500;

    private final MetaClient meta;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("backup-mark").daemon().factory());
    private volatile BackupMark current = BackupMark.NONE;
    /** Whether the last read failed: a failure is told once, and the return. */
    private boolean failing;

    public BackupMarks(MetaClient meta) {
        this.meta = meta;
        timer.scheduleWithFixedDelay(this::refresh, 0, REFRESH_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Reads the mark now (after a change this node made, so that its own next read sees it). */
    public synchronized void refresh() {
        try {
            BackupMark m = meta.readBackupMark();
            if (m.shownRound() < current.shownRound() && m.stage().equals(current.stage())) {
                return; // an answer older than one already taken
            }
            current = m;
            if (failing) {
                failing = false;
                log.info("backup site: the meta service answers again; round {} shown", m.shownRound());
            }
        } catch (io.cairn.meta.MetaUnavailableException e) {
            if (!failing) {
                failing = true;
                log.warn("backup site: the meta service did not answer, reads keep round {}: {}", current.shownRound(), e.toString());
            }
        } catch (RuntimeException e) {
            log.error("backup site: the mark could not be read; reads keep round {}", current.shownRound(), e);
        }
    }

    @Override
    public BackupMark get() {
        return current;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
