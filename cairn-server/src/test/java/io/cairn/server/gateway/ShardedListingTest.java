package io.cairn.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.core.partition.PartitionId;
import io.cairn.node.rpc.Record;
import io.cairn.s3.KeyListing;
import io.cairn.s3.ObjectInfo;
import io.cairn.s3.S3Exception;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The merge of a bucket's index shards: keys come out in UTF-8 order, none missed and none twice,
 * from any start and across skips, while reading about one page of records rather than a page
 * from every shard. The shards are sorted maps read the way a replica's scan reads its store
 * (records under a prefix, after a key, at most a limit). Randomized: the seed is printed with
 * the command that re-runs it ({@code -Dcairn.test.seed=0x...}).
 */
class ShardedListingTest {

    private static final String BASE = "i/7/";
    private final ExecutorService io = Executors.newVirtualThreadPerTaskExecutor();

    @AfterEach
    void stop() {
        io.shutdownNow();
    }

    /** Shards as sorted maps of full record keys, and a count of the records scans returned. */
    private final class Shards {
        final Map<PartitionId, TreeMap<String, Record>> byPartition = new TreeMap<>();
        final TreeSet<String> all = new TreeSet<>(KeyListing::compareUtf8);
        final AtomicInteger recordsRead = new AtomicInteger();

        Shards(int shards) {
            for (int s = 0; s < shards; s++) {
                byPartition.put(new PartitionId("rep3", s), new TreeMap<>(KeyListing::compareUtf8));
            }
        }

        void put(String objectKey, int shard) {
            if (all.contains(objectKey)) {
                return; // a key lives in one shard
            }
            String full = BASE + objectKey;
            byPartition.get(new PartitionId("rep3", shard)).put(full, Record.newBuilder().setKey(full).build());
            all.add(objectKey);
        }

        List<Record> scan(PartitionId p, String prefix, String after, int limit) {
            List<Record> out = new ArrayList<>();
            for (Map.Entry<String, Record> e : byPartition.get(p).tailMap(after, false).entrySet()) {
                if (out.size() == limit) {
                    break;
                }
                if (e.getKey().startsWith(prefix)) {
                    out.add(e.getValue());
                }
            }
            recordsRead.addAndGet(out.size());
            return out;
        }

        ShardedListing listing(String prefix, String startAfter, int pageHint) {
            return new ShardedListing(List.copyOf(byPartition.keySet()), (p, after, limit) -> scan(p, BASE + prefix, after, limit), io,
                    BASE, startAfter, pageHint, r -> info(r.getKey().substring(BASE.length())));
        }
    }

    private static ObjectInfo info(String key) {
        return new ObjectInfo(key, 0, "", 0, "", Map.of(), Map.of());
    }

    private static long seed() {
        String given = System.getProperty("cairn.test.seed");
        long seed = given == null || given.isBlank() ? System.nanoTime()
                : Long.parseUnsignedLong(given.trim().toLowerCase(java.util.Locale.ROOT).replaceFirst("^0x", ""), 16);
        System.out.println("ShardedListingTest seed=0x" + Long.toHexString(seed)
                + " (re-run: ./mvnw -o -pl cairn-server test -Dtest=ShardedListingTest -Dcairn.test.seed=0x" + Long.toHexString(seed) + ")");
        return seed;
    }

    /** Keys with characters whose UTF-16 order differs from their UTF-8 order, and with '/' for prefixes. */
    private static String randomKey(SplittableRandom rnd) {
        String[] parts = {"a", "b", "z", "/", "0", "\uFF21", "\uD83D\uDE00", "\u00E9", "-"};
        StringBuilder k = new StringBuilder();
        int n = 1 + rnd.nextInt(6);
        for (int i = 0; i < n; i++) {
            k.append(parts[rnd.nextInt(parts.length)]);
        }
        return k.toString();
    }

    @Test
    void everyKeyOnceInUtf8OrderFromAnyStartAcrossSkips() throws S3Exception {
        long seed = seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int round = 0; round < 200; round++) {
            int shardCount = 1 + rnd.nextInt(40);
            Shards shards = new Shards(shardCount);
            int keys = rnd.nextInt(600);
            for (int i = 0; i < keys; i++) {
                shards.put(randomKey(rnd), rnd.nextInt(shardCount));
            }
            String prefix = rnd.nextInt(3) == 0 ? randomKey(rnd).substring(0, 1) : "";
            String startAfter = rnd.nextBoolean() ? "" : randomKey(rnd);
            ShardedListing listing = shards.listing(prefix, startAfter, 1 + rnd.nextInt(1001));
            List<String> expected = new ArrayList<>();
            for (String k : shards.all) {
                if (k.startsWith(prefix) && (startAfter.isEmpty() || KeyListing.compareUtf8(k, startAfter) > 0)) {
                    expected.add(k);
                }
            }
            // Walk it, skipping now and then past a random point ahead, as a delimiter roll-up does.
            List<String> got = new ArrayList<>();
            List<String> want = new ArrayList<>();
            String skippedTo = null;
            int i = 0;
            for (Optional<ObjectInfo> o = listing.next(); o.isPresent(); o = listing.next()) {
                got.add(o.get().key());
                while (i < expected.size() && (skippedTo != null && KeyListing.compareUtf8(expected.get(i), skippedTo) <= 0)) {
                    i++;
                }
                if (i < expected.size()) {
                    want.add(expected.get(i++));
                }
                if (rnd.nextInt(10) == 0) {
                    skippedTo = o.get().key() + randomKey(rnd);
                    listing.skipTo(skippedTo);
                }
            }
            while (i < expected.size() && skippedTo != null && KeyListing.compareUtf8(expected.get(i), skippedTo) <= 0) {
                i++;
            }
            assertThat(got).as("round %d: %d shards, prefix '%s', after '%s' (seed 0x%s)", round, shardCount, prefix, startAfter,
                    Long.toHexString(seed)).isEqualTo(want);
            assertThat(i).as("round %d: keys left unlisted (seed 0x%s)", round, Long.toHexString(seed)).isEqualTo(expected.size());
        }
    }

    @Test
    void aPageReadsAboutOnePageOfRecordsNotOneFromEveryShard() throws S3Exception {
        Shards shards = new Shards(32);
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < 40_000; i++) {
            shards.put(String.format("key-%06d", i), rnd.nextInt(32));
        }
        ShardedListing listing = shards.listing("", "key-010000", 1001);
        List<String> page = new ArrayList<>();
        for (int i = 0; i < 1001; i++) {
            page.add(listing.next().orElseThrow().key());
        }
        assertThat(page.getFirst()).isEqualTo("key-010001");
        assertThat(page.getLast()).isEqualTo("key-011001");
        // 1,001 keys from 32 shards: about 1.5 pages read, where a page from every shard would be 32,032.
        assertThat(shards.recordsRead.get()).isBetween(1001, 3 * 1001);
    }

    @Test
    void skippingACommonPrefixReadsLittleOfWhatIsUnderIt() throws S3Exception {
        Shards shards = new Shards(16);
        SplittableRandom rnd = new SplittableRandom(2);
        for (int d = 0; d < 10; d++) {
            for (int i = 0; i < 4_000; i++) {
                shards.put(String.format("dir%02d/obj-%05d", d, i), rnd.nextInt(16));
            }
        }
        ShardedListing listing = shards.listing("", "", 1001);
        List<String> prefixes = new ArrayList<>();
        for (Optional<ObjectInfo> o = listing.next(); o.isPresent(); o = listing.next()) {
            String p = o.get().key().substring(0, o.get().key().indexOf('/') + 1);
            prefixes.add(p);
            listing.skipTo(p + "\uDBFF\uDFFF");
        }
        assertThat(prefixes).hasSize(10).startsWith("dir00/").endsWith("dir09/");
        // 40,000 keys under the 10 prefixes: the roll-up reads about one small page per shard and prefix.
        assertThat(shards.recordsRead.get()).isLessThan(40_000 / 2);
    }
}
