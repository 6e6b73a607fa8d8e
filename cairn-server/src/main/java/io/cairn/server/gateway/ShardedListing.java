package io.cairn.server.gateway;

import io.cairn.core.partition.PartitionId;
import io.cairn.node.ClusterException;
import io.cairn.node.rpc.Record;
import io.cairn.s3.KeyListing;
import io.cairn.s3.ObjectInfo;
import io.cairn.s3.S3Error;
import io.cairn.s3.S3Exception;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * A bucket's keys merged from its index shards in key order, each shard read in small pages as
 * the merge reaches them. A page of {@code n} keys over {@code s} shards reads about {@code n}
 * records, not {@code n} from every shard; skipping a common prefix drops what each shard holds
 * under it and reads on from after it. Whenever a key is returned, every shard not yet at its end
 * has at least one record waiting, so no unread shard can hold a smaller key.
 */
final class ShardedListing implements KeyListing {

    /** Reads up to {@code limit} records of a partition with keys after {@code afterKey} under the listing's prefix. */
    interface Scanner {
        List<Record> scan(PartitionId partition, String afterKey, int limit);
    }

    /** Most records one shard read asks for (the replica's own cap on a scan). */
    static final int SHARD_PAGE_MAX = 1000;
    /** Fewest records one shard read asks for. */
    static final int SHARD_PAGE_MIN = 8;

    private final Scanner scanner;
    private final ExecutorService io;
    private final String base;
    private final Function<Record, ObjectInfo> info;
    private final List<Shard> shards = new ArrayList<>();
    private final PriorityQueue<Shard> heap = new PriorityQueue<>(Comparator.comparing((Shard s) -> s.buffer.peek().getKey(), KeyListing::compareUtf8));

    private static final class Shard {
        final PartitionId partition;
        final Deque<Record> buffer = new ArrayDeque<>();
        /** Full record key the next read starts after. */
        String after;
        /** Records the next read asks for: doubled each time the merge drains the shard, back to the first size after a skip. */
        int pageSize;
        final int firstPageSize;
        boolean exhausted;

        Shard(PartitionId partition, String after, int pageSize) {
            this.partition = partition;
            this.after = after;
            this.pageSize = pageSize;
            this.firstPageSize = pageSize;
        }

        boolean needsRead() {
            return buffer.isEmpty() && !exhausted;
        }
    }

    /**
     * @param base      the bucket's index key prefix: record keys are {@code base + object key}
     * @param startAfter object key the listing starts after ("" from the start)
     * @param pageHint  keys the caller expects to take
     */
    ShardedListing(List<PartitionId> partitions, Scanner scanner, ExecutorService io, String base, String startAfter, int pageHint,
                   Function<Record, ObjectInfo> info) {
        this.scanner = scanner;
        this.io = io;
        this.base = base;
        this.info = info;
        // Keys spread evenly over the shards: each is asked for a little more than its share.
        int pageSize = Math.clamp(pageHint * 3L / (2L * Math.max(1, partitions.size())) + 4, SHARD_PAGE_MIN, SHARD_PAGE_MAX);
        String after = startAfter.isEmpty() ? "" : base + startAfter;
        for (PartitionId p : partitions) {
            shards.add(new Shard(p, after, pageSize));
        }
    }

    @Override
    public Optional<ObjectInfo> next() throws S3Exception {
        return nextRecord().map(info);
    }

    /** The next index record in key order, or empty at the end. */
    Optional<Record> nextRecord() throws S3Exception {
        readWhereNeeded();
        Shard s = heap.poll();
        if (s == null) {
            return Optional.empty();
        }
        Record r = s.buffer.poll();
        if (!s.buffer.isEmpty()) {
            heap.add(s);
        }
        return Optional.of(r);
    }

    @Override
    public void skipTo(String after) {
        String full = base + after;
        heap.clear();
        for (Shard s : shards) {
            while (!s.buffer.isEmpty() && KeyListing.compareUtf8(s.buffer.peek().getKey(), full) <= 0) {
                s.buffer.poll();
            }
            if (s.buffer.isEmpty()) {
                if (KeyListing.compareUtf8(full, s.after) > 0) {
                    s.after = full;
                    s.pageSize = s.firstPageSize;
                }
            } else {
                heap.add(s);
            }
        }
    }

    /** Reads, all at once, every shard whose waiting records ran out before its end. */
    private void readWhereNeeded() throws S3Exception {
        List<Shard> reading = new ArrayList<>();
        for (Shard s : shards) {
            if (s.needsRead()) {
                reading.add(s);
            }
        }
        if (reading.isEmpty()) {
            return;
        }
        List<Future<List<Record>>> reads = new ArrayList<>();
        for (Shard s : reading) {
            String after = s.after;
            int limit = s.pageSize;
            reads.add(io.submit(() -> scanner.scan(s.partition, after, limit)));
        }
        for (int i = 0; i < reading.size(); i++) {
            Shard s = reading.get(i);
            List<Record> page = await(reads.get(i));
            s.buffer.addAll(page);
            s.exhausted = page.size() < s.pageSize;
            if (!page.isEmpty()) {
                s.after = page.getLast().getKey();
                heap.add(s);
            }
            s.pageSize = Math.min(SHARD_PAGE_MAX, s.pageSize * 2); // drained before the page was full: busier than its share
        }
    }

    private static List<Record> await(Future<List<Record>> f) throws S3Exception {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new S3Exception(S3Error.InternalError, "interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ClusterException ce) {
                throw ClusterObjectBackend.translate(ce);
            }
            throw new S3Exception(S3Error.InternalError, "listing failed: " + e.getCause());
        }
    }
}
