package io.cairn.server.gateway;

import io.cairn.core.access.BucketLifecycle;
import io.cairn.core.map.BucketInfo;
import io.cairn.core.map.ClusterMap;
import io.cairn.node.MapView;
import io.cairn.s3.KeyListing;
import io.cairn.s3.ObjectInfo;
import io.cairn.s3.ObjectTagging;
import io.cairn.s3.S3Exception;
import io.cairn.s3.UploadInfo;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out the buckets' lifecycle rules: every interval, on one node of the cluster (a
 * {@link ClusterChore}: the first up node, by id, of the map it knows), lists each bucket that has rules, deletes the objects a
 * rule has expired and aborts the multipart uploads a rule has timed out. An object is deleted only
 * if it is still the one that was listed (its ETag and time), so an object written again meanwhile
 * is judged anew. Two nodes that both take themselves for the first (their maps differ for a moment)
 * do the same deletions, each at most once. A day lasts {@code lifecycle_day_seconds} (a day, but
 * shorter in tests), and a pass runs every tenth of a day, at most every hour.
 */
public final class LifecyclePass implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LifecyclePass.class);
    static final long INTERVAL_MILLIS_MAX = 3600_000L;
    static final int LIST_PAGE = 1000;

    private final ClusterObjectBackend backend;
    private final long dayMillis;
    private final Clock clock;
    private final ClusterChore chore;

    public LifecyclePass(ClusterObjectBackend backend, MapView mapView, String nodeId, long dayMillis, Clock clock) {
        this.backend = backend;
        this.dayMillis = dayMillis;
        this.clock = clock;
        this.chore = new ClusterChore("lifecycle", mapView, nodeId, intervalMillis(dayMillis), backend::readOnlyReason, this::passes);
    }

    public LifecyclePass start() {
        chore.start();
        return this;
    }

    /** How long between passes. */
    static long intervalMillis(long dayMillis) {
        return Math.max(200, Math.min(INTERVAL_MILLIS_MAX, dayMillis / 10));
    }

    /** A pass over each bucket that has rules. */
    private void passes(ClusterMap map) {
        for (BucketInfo b : map.buckets()) {
            if (b.lifecycle() == null || chore.isClosed()) {
                continue;
            }
            try {
                pass(b.name(), BucketLifecycle.parse(b.lifecycle()));
            } catch (S3Exception e) {
                // A bucket deleted meanwhile, or the cluster unavailable: the next pass tries again.
                log.warn("lifecycle pass of bucket {} stopped: {} {}", b.name(), e.error(), e.getMessage());
            }
        }
    }

    /** One pass over {@code bucket}: what {@code rules} expire is deleted, what they time out is aborted. */
    public Result pass(String bucket, List<BucketLifecycle.Rule> rules) throws S3Exception {
        long now = clock.millis();
        int expired = 0, aborted = 0;
        boolean expires = rules.stream().anyMatch(r -> r.enabled() && (r.expirationDays() != null || r.expirationDate() != null));
        if (expires) {
            KeyListing listing = backend.listing(bucket, "", "", LIST_PAGE);
            for (Optional<ObjectInfo> next = listing.next(); next.isPresent() && !chore.isClosed(); next = listing.next()) {
                ObjectInfo o = next.get();
                long at = BucketLifecycle.expiresAtMillis(rules, o.key(), o.size(), o.lastModifiedMillis(), ObjectTagging.of(o), dayMillis);
                if (at <= now && backend.expireIfUnchanged(bucket, o.key(), o.etag(), o.lastModifiedMillis())) {
                    expired++;
                }
            }
        }
        if (rules.stream().anyMatch(r -> r.enabled() && r.abortIncompleteDays() != null)) {
            for (UploadInfo u : backend.listMultipartUploads(bucket, "")) {
                if (BucketLifecycle.abortsAtMillis(rules, u.key(), u.initiatedMillis(), dayMillis) <= now) {
                    try {
                        backend.abortMultipartUpload(bucket, u.key(), u.uploadId());
                        aborted++;
                    } catch (S3Exception e) {
                        if (e.error() != io.cairn.s3.S3Error.NoSuchUpload) {
                            throw e;
                        }
                    }
                }
            }
        }
        if (expired > 0 || aborted > 0) {
            log.info("lifecycle of bucket {}: {} objects expired, {} incomplete uploads aborted", bucket, expired, aborted);
        }
        return new Result(expired, aborted);
    }

    /** What one pass of a bucket did. */
    public record Result(int expired, int aborted) {}

    @Override
    public void close() {
        chore.close();
    }
}
