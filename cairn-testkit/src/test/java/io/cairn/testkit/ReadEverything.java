package io.cairn.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Reads every object written ({@code "bucket/key"} to its bytes) through each of some nodes, byte
 * for byte, and lists each bucket whole through each (pages of 7 keys), 12 requests at a time,
 * each at the first try of its client; the first wrong answer or failure ends it.
 */
final class ReadEverything {

    /** The slowest GET and the slowest whole listing, in milliseconds. */
    record Figures(long slowestGetMillis, long slowestListingMillis) {}

    private ReadEverything() {}

    static Figures through(S3Client[] s3, List<Integer> nodes, Map<String, byte[]> written, List<String> buckets, String when)
            throws Exception {
        AtomicLong slowest = new AtomicLong();
        AtomicLong slowestListing = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(12);
        try {
            List<Future<?>> reads = new ArrayList<>();
            for (int i : nodes) {
                for (Map.Entry<String, byte[]> e : written.entrySet()) {
                    String[] bk = e.getKey().split("/", 2);
                    reads.add(pool.submit(() -> {
                        long t0 = System.nanoTime();
                        byte[] got = s3[i].getObjectAsBytes(b -> b.bucket(bk[0]).key(bk[1])).asByteArray();
                        slowest.accumulateAndGet((System.nanoTime() - t0) / 1_000_000, Math::max);
                        assertThat(got).as("%s through node %d %s", e.getKey(), i, when).isEqualTo(e.getValue());
                        return null;
                    }));
                }
                for (String bucket : buckets) {
                    reads.add(pool.submit(() -> {
                        long t0 = System.nanoTime();
                        List<String> keys = new ArrayList<>();
                        s3[i].listObjectsV2Paginator(b -> b.bucket(bucket).maxKeys(7)).contents().forEach(o -> keys.add(o.key()));
                        slowestListing.accumulateAndGet((System.nanoTime() - t0) / 1_000_000, Math::max);
                        assertThat(keys).as("listing of %s through node %d %s", bucket, i, when).containsExactlyElementsOf(
                                written.keySet().stream().filter(k -> k.startsWith(bucket + "/")).map(k -> k.substring(bucket.length() + 1))
                                        .sorted().toList());
                        return null;
                    }));
                }
            }
            for (Future<?> f : reads) {
                f.get();
            }
        } finally {
            pool.shutdownNow(); // a failed read ends the test at once, not after the others' retries
        }
        return new Figures(slowest.get(), slowestListing.get());
    }
}
