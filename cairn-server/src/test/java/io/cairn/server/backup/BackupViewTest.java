package io.cairn.server.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.meta.BackupMark;
import io.cairn.node.ClusterException;
import io.cairn.node.Records;
import io.cairn.node.rpc.Record;
import io.cairn.node.rpc.RecordCodec;
import io.cairn.protocol.LogRecord;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The backup site's view of kept states ({@link BackupView}) over records held in memory, the way
 * a partition's primary answers reads and scans (key order, tombstones left out of scans): each
 * key as its newest state in a round at most the one shown, listings paged and folded by a
 * delimiter, and, once promoted, the keys' own records over their states.
 */
class BackupViewTest {

    static final PartitionId P = new PartitionId("default", 3);

    /** A partition's records in memory: reads and scans as a primary answers them. */
    static final class MemoryRecords implements Records {
        final TreeMap<String, Record> records = new TreeMap<>(BackupViewTest::utf8Order);
        long seq;

        @Override
        public Optional<Record> get(PartitionId p, String key, boolean withBlob) {
            return Optional.ofNullable(records.get(key)).map(r -> withBlob ? r : r.toBuilder().clearBlob().build());
        }

        @Override
        public Optional<Record> getImmutable(PartitionId p, String key, int spread) {
            return get(p, key, true).filter(r -> !r.getTombstone());
        }

        @Override
        public List<Record> scan(PartitionId p, String prefix, String afterKey, int limit, String delimiter) {
            assertThat(delimiter).as("the view folds by itself").isEmpty();
            List<Record> out = new ArrayList<>();
            for (Record r : records.tailMap(afterKey, false).values()) {
                if (!r.getKey().startsWith(prefix)) {
                    if (utf8Order(r.getKey(), prefix) > 0) {
                        break;
                    }
                    continue;
                }
                if (!r.getTombstone()) {
                    out.add(r.toBuilder().clearBlob().build());
                    if (out.size() == limit) {
                        break;
                    }
                }
            }
            return out;
        }

        @Override
        public Optional<Record> apply(PartitionId p, String key, boolean tombstone, byte[] meta, ByteBuffer blob) {
            Record.Builder b = Record.newBuilder().setKey(key).setVersion(RecordCodec.version(new Version(9, ++seq)))
                    .setTombstone(tombstone).setMeta(ByteString.copyFrom(meta));
            if (blob != null) {
                b.setBlob(ByteString.copyFrom(blob.duplicate())).setHasBlob(true).setBlobLength(blob.remaining());
            }
            // As a primary answers: the live record superseded, metadata only.
            return Optional.ofNullable(records.put(key, b.build())).filter(r -> !r.getTombstone()).map(r -> r.toBuilder().clearBlob().build());
        }

        @Override
        public boolean applyIfStill(PartitionId p, String key, io.cairn.node.rpc.Version current, byte[] meta, ByteBuffer blob) {
            if (!still(key, current)) {
                return false;
            }
            apply(p, key, false, meta, blob);
            return true;
        }

        @Override
        public boolean deleteIfStill(PartitionId p, String key, io.cairn.node.rpc.Version current) {
            if (!still(key, current)) {
                return false;
            }
            apply(p, key, true, new byte[0], null);
            return true;
        }

        /** As a primary decides a conditional write: the key's newest version (a tombstone's too) is at most {@code current}. */
        private boolean still(String key, io.cairn.node.rpc.Version current) {
            Record existing = records.get(key);
            return existing == null || !RecordCodec.version(existing.getVersion()).isAfter(RecordCodec.version(current));
        }

        /** Keeps the state of {@code key} in {@code round} as {@link BackupSite} does. */
        void keep(String key, long round, boolean tombstone, String data) {
            ByteBuffer blob = tombstone ? null : ByteBuffer.wrap(data.getBytes(StandardCharsets.UTF_8));
            LogRecord shipped = new LogRecord(key, new Version(5, round * 10), tombstone, ("meta of " + data).getBytes(StandardCharsets.UTF_8),
                    blob, blob != null, blob == null ? 0 : blob.remaining(), 0, false);
            apply(P, BackupSite.stateKey(key, round), false, BackupSite.stateMeta(shipped), blob);
        }
    }

    static int utf8Order(String a, String b) {
        return java.util.Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    static AtomicReference<BackupMark> shown(long round) {
        return new AtomicReference<>(new BackupMark(round, 1, BackupMark.SHIPPING));
    }

    static String data(Optional<Record> r) {
        return r.map(x -> x.getBlob().toStringUtf8()).orElse(null);
    }

    @Test
    void aKeyIsItsNewestStateInTheRoundShown() {
        MemoryRecords m = new MemoryRecords();
        m.keep("i/b/a", 2, false, "a2");
        m.keep("i/b/a", 5, false, "a5");
        m.keep("i/b/gone", 2, false, "g2");
        m.keep("i/b/gone", 4, true, null);
        m.keep("i/b/late", 6, false, "l6");
        AtomicReference<BackupMark> mark = shown(4);
        BackupView view = new BackupView(m, mark::get);

        assertThat(data(view.get(P, "i/b/a", true))).isEqualTo("a2");
        Record a = view.get(P, "i/b/a", false).orElseThrow();
        assertThat(a.getKey()).isEqualTo("i/b/a");
        assertThat(RecordCodec.version(a.getVersion())).as("the version at the primary site").isEqualTo(new Version(5, 20));
        assertThat(a.getMeta().toStringUtf8()).isEqualTo("meta of a2");
        assertThat(view.get(P, "i/b/gone", true)).as("a tombstone in the round").isEmpty();
        assertThat(view.get(P, "i/b/late", true)).as("written after the round").isEmpty();
        assertThat(view.get(P, "i/b/none", true)).isEmpty();

        mark.set(new BackupMark(6, 2, BackupMark.SHIPPING));
        assertThat(data(view.get(P, "i/b/a", true))).isEqualTo("a5");
        assertThat(data(view.getImmutable(P, "i/b/late", 0))).isEqualTo("l6");
    }

    @Test
    void aPinnedViewReadsAtTheRoundShownWhenItWasTakenWhileTheSiteMovesOn() {
        MemoryRecords m = new MemoryRecords();
        m.keep("i/b/a", 2, false, "a2");
        m.keep("i/b/b", 3, false, "b3");
        m.keep("i/b/a", 3, false, "a3");
        AtomicReference<BackupMark> mark = shown(2);
        BackupView view = new BackupView(m, mark::get);
        Records pinned = view.pinned();
        mark.set(new BackupMark(3, 2, BackupMark.SHIPPING));

        // A listing reads its shards one after another: each must show round 2, as the first did.
        assertThat(pinned.scan(P, "i/b/", "", 100).stream().map(Record::getKey).toList()).containsExactly("i/b/a");
        assertThat(data(pinned.get(P, "i/b/a", true))).isEqualTo("a2");
        assertThat(pinned.get(P, "i/b/b", true)).isEmpty();
        assertThat(view.scan(P, "i/b/", "", 100).stream().map(Record::getKey).toList()).containsExactly("i/b/a", "i/b/b");
        assertThat(data(view.pinned().get(P, "i/b/a", true))).isEqualTo("a3");
    }

    @Test
    void writesAreRefusedUntilPromotedAndThenTheKeysOwnRecordsWin() {
        MemoryRecords m = new MemoryRecords();
        m.keep("i/b/a", 2, false, "a2");
        m.keep("i/b/c", 2, false, "c2");
        m.keep("i/b/d", 2, false, "d2");
        AtomicReference<BackupMark> mark = shown(3);
        BackupView view = new BackupView(m, mark::get);
        assertThatThrownBy(() -> view.apply(P, "i/b/a", false, new byte[0], ByteBuffer.wrap(new byte[] {1})))
                .isInstanceOfSatisfying(ClusterException.class, e -> assertThat(e.kind()).isEqualTo(ClusterException.Kind.READ_ONLY));
        assertThatThrownBy(() -> view.deleteIfStill(P, "i/b/a", RecordCodec.version(Version.ZERO))).isInstanceOf(ClusterException.class);

        mark.set(new BackupMark(3, 1, BackupMark.PROMOTED));
        view.apply(P, "i/b/a", false, "own".getBytes(StandardCharsets.UTF_8), ByteBuffer.wrap("a-new".getBytes(StandardCharsets.UTF_8)));
        view.apply(P, "i/b/c", true, new byte[0], null);
        assertThat(view.deleteIfStill(P, "i/b/d", RecordCodec.version(new Version(5, 20)))).isTrue();
        view.apply(P, "i/b/e", false, new byte[0], ByteBuffer.wrap("e".getBytes(StandardCharsets.UTF_8)));
        assertThat(data(view.get(P, "i/b/a", true))).isEqualTo("a-new");
        assertThat(view.get(P, "i/b/c", true).filter(r -> !r.getTombstone())).isEmpty();
        assertThat(view.get(P, "i/b/d", true).filter(r -> !r.getTombstone())).isEmpty();
        assertThat(view.scan(P, "i/b/", "", 100).stream().map(Record::getKey).toList()).containsExactly("i/b/a", "i/b/e");
        assertThat(view.scan(P, "i/b/", "", 100).getFirst().getMeta().toStringUtf8()).isEqualTo("own");
    }

    @Test
    void aWriteOnThePromotedSiteSupersedesTheStateShownAndDropsTheKeysStates() {
        MemoryRecords m = new MemoryRecords();
        m.keep("i/b/a", 2, false, "a2");
        m.keep("i/b/a", 4, false, "a4"); // shipped, never shown
        m.keep("i/b/c", 1, false, "c1");
        m.keep("i/b/c", 2, false, "c2");
        m.keep("i/b/e", 3, true, null);
        BackupView view = new BackupView(m, () -> new BackupMark(3, 1, BackupMark.PROMOTED));

        // The caller frees what the superseded record referenced: the state shown, not a later one.
        Optional<Record> a = view.apply(P, "i/b/a", false, "own a".getBytes(StandardCharsets.UTF_8), null);
        assertThat(a.map(r -> r.getKey() + " " + r.getMeta().toStringUtf8())).contains("i/b/a meta of a2");
        assertThat(a.get().getBlob().isEmpty()).isTrue();
        assertThat(liveStatesOf(m, "i/b/a")).isEmpty();
        // Written again: what it supersedes is its own record.
        assertThat(view.apply(P, "i/b/a", false, "own a again".getBytes(StandardCharsets.UTF_8), null).map(r -> r.getMeta().toStringUtf8()))
                .contains("own a");

        Optional<Record> c = view.apply(P, "i/b/c", true, new byte[0], null);
        assertThat(c.map(r -> r.getMeta().toStringUtf8())).contains("meta of c2");
        assertThat(liveStatesOf(m, "i/b/c")).isEmpty();
        assertThat(view.get(P, "i/b/c", true).filter(r -> !r.getTombstone())).isEmpty();

        // A key the round shown has as deleted supersedes nothing.
        assertThat(view.apply(P, "i/b/e", false, new byte[0], null)).isEmpty();
    }

    @Test
    void settlingThePromotedSiteWritesEachKeysStateShownAsItsOwnRecordAndDropsEveryState() {
        MemoryRecords m = new MemoryRecords();
        m.keep("i/b/a", 1, false, "a1");
        m.keep("i/b/a", 2, false, "a2");
        m.keep("i/b/a", 4, false, "a4"); // shipped, never shown
        m.keep("i/b/b", 2, true, null);
        m.keep("i/b/c", 1, false, "c1");
        m.keep("i/b/d", 5, false, "d5");
        m.keep("i/b/gone", 1, false, "g1");
        m.keep("i/b/own", 2, false, "o2");
        m.apply(P, BackupSite.LEDGER_KEY, false, new byte[0], ByteBuffer.wrap(new byte[] {1}));
        AtomicReference<BackupMark> mark = new AtomicReference<>(new BackupMark(3, 1, BackupMark.PROMOTED));
        BackupView view = new BackupView(m, mark::get);
        view.apply(P, "i/b/own", false, "own".getBytes(StandardCharsets.UTF_8), ByteBuffer.wrap("o".getBytes(StandardCharsets.UTF_8)));
        m.keep("i/b/own", 1, false, "o1"); // a state the key's first write left behind (the node stopped before dropping it)
        view.apply(P, "i/b/gone", true, new byte[0], null);
        List<String> before = view.scan(P, "i/b/", "", 100).stream().map(r -> r.getKey() + "=" + data(view.get(P, r.getKey(), true))).toList();
        assertThat(before).containsExactly("i/b/a=a2", "i/b/c=c1", "i/b/own=o");
        // A state the delete left behind (the node stopped before dropping it): the tombstone wins over it.
        m.keep("i/b/gone", 1, false, "g1");

        BackupSite.Settled settled = BackupSite.settle(m, P, 3);
        assertThat(settled.written()).as("a and c, whose state shown is their only record").isEqualTo(2);
        assertThat(settled.dropped()).as("every state").isEqualTo(8);
        for (String key : List.of("i/b/a", "i/b/b", "i/b/c", "i/b/d", "i/b/gone", "i/b/own")) {
            assertThat(liveStatesOf(m, key)).as(key).isEmpty();
        }
        assertThat(m.get(P, BackupSite.LEDGER_KEY, false).filter(r -> !r.getTombstone())).as("the backup's account").isEmpty();
        Record a = m.get(P, "i/b/a", true).orElseThrow();
        assertThat(a.getMeta().toStringUtf8()).as("the meta it had at the primary site").isEqualTo("meta of a2");
        assertThat(a.getBlob().toStringUtf8()).isEqualTo("a2");
        assertThat(m.get(P, "i/b/gone", false).orElseThrow().getTombstone()).as("a delete since is not undone").isTrue();
        // What a reader sees is unchanged, through the view and then straight from the partition once recorded as settled.
        assertThat(view.scan(P, "i/b/", "", 100).stream().map(r -> r.getKey() + "=" + data(view.get(P, r.getKey(), true))).toList())
                .isEqualTo(before);
        mark.set(new BackupMark(3, 1, BackupMark.SETTLED));
        assertThat(view.scan(P, "i/b/", "", 100).stream().map(r -> r.getKey() + "=" + data(view.get(P, r.getKey(), true))).toList())
                .isEqualTo(before);
        assertThat(data(view.getImmutable(P, "i/b/c", 0, true))).isEqualTo("c1");
        assertThat(view.apply(P, "i/b/c", false, new byte[0], null).map(r -> r.getMeta().toStringUtf8())).as("superseded").contains("meta of c1");
        assertThat(BackupSite.settle(m, P, 3)).as("settled twice: nothing left to do").isEqualTo(new BackupSite.Settled(0, 0));
    }

    @Test
    void pruningABackupSiteKeepsEachKeysNewestStateInTheRoundAndTheLaterOnes() {
        MemoryRecords m = new MemoryRecords();
        m.keep("i/b/a", 1, false, "a1");
        m.keep("i/b/a", 2, false, "a2");
        m.keep("i/b/a", 4, false, "a4");
        m.keep("i/b/b", 2, true, null);
        assertThat(BackupSite.prune(m, P, 3)).as("a1, and b's tombstone").isEqualTo(2);
        assertThat(liveStatesOf(m, "i/b/a")).containsExactly(BackupSite.stateKey("i/b/a", 2), BackupSite.stateKey("i/b/a", 4));
        assertThat(liveStatesOf(m, "i/b/b")).isEmpty();
    }

    @Test
    void aPassOverEveryPartitionRunsSomeAtOnceAndFailsWithTheirFirstFailure() {
        java.util.Set<PartitionId> all = new java.util.TreeSet<>();
        for (int i = 0; i < 40; i++) {
            all.add(new PartitionId("default", i));
        }
        // Each partition waits until as many as may run at once have begun: with fewer at once, the pass would stall.
        java.util.concurrent.CountDownLatch together = new java.util.concurrent.CountDownLatch(BackupSite.PARTITIONS_AT_ONCE);
        java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger most = new java.util.concurrent.atomic.AtomicInteger();
        Map<PartitionId, Integer> out = BackupSite.eachPartition(all, p -> {
            most.accumulateAndGet(running.incrementAndGet(), Math::max);
            together.countDown();
            try {
                assertThat(together.await(10, java.util.concurrent.TimeUnit.SECONDS)).as("partitions begun together").isTrue();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            running.decrementAndGet();
            return p.partition() * 2;
        });
        assertThat(out).hasSize(40);
        all.forEach(p -> assertThat(out.get(p)).isEqualTo(p.partition() * 2));
        assertThat(most.get()).as("partitions worked on at once").isEqualTo(BackupSite.PARTITIONS_AT_ONCE);

        assertThatThrownBy(() -> BackupSite.eachPartition(all, p -> {
            if (p.partition() == 3) {
                throw new ClusterException(ClusterException.Kind.UNAVAILABLE, "partition 3 has no primary");
            }
            return p;
        })).isInstanceOf(ClusterException.class).hasMessageContaining("partition 3 has no primary");
    }

    static List<String> liveStatesOf(MemoryRecords m, String key) {
        return m.records.values().stream().filter(r -> !r.getTombstone() && r.getKey().startsWith(key + '\u0000')).map(Record::getKey).toList();
    }

    @Test
    void listingsPagedAndFoldedMatchTheStatesShownForRandomHistories() {
        long seed = Long.getLong("cairn.backupview.seed", System.nanoTime());
        System.out.println("BackupViewTest seed " + seed + "; to reproduce: ./mvnw -pl cairn-server test -Dtest=BackupViewTest"
                + " -Dcairn.backupview.seed=" + seed);
        Random random = new Random(seed);
        for (int run = 0; run < 200; run++) {
            MemoryRecords m = new MemoryRecords();
            TreeMap<String, TreeMap<Long, String>> history = new TreeMap<>(BackupViewTest::utf8Order);
            String[] dirs = {"", "x/", "x/y/", "z/", "zz/", "\u00e9/", "\ud83d\ude00/"};
            int keys = 1 + random.nextInt(40);
            for (int k = 0; k < keys; k++) {
                String key = "i/b/" + dirs[random.nextInt(dirs.length)] + "k" + random.nextInt(30);
                int states = 1 + random.nextInt(4);
                for (int s = 0; s < states; s++) {
                    long round = 1 + random.nextInt(8);
                    boolean tombstone = random.nextInt(4) == 0;
                    String value = tombstone ? null : key + "@" + round;
                    m.keep(key, round, tombstone, value);
                    history.computeIfAbsent(key, x -> new TreeMap<>()).put(round, value);
                }
            }
            m.apply(P, BackupSite.LEDGER_KEY, false, new byte[0], ByteBuffer.wrap(new byte[] {1}));
            long round = random.nextInt(9);
            BackupView view = new BackupView(m, () -> new BackupMark(round, 1, BackupMark.SHIPPING), 1 + random.nextInt(6));

            List<String> expected = new ArrayList<>();
            history.forEach((key, states) -> {
                Map.Entry<Long, String> e = states.floorEntry(round);
                if (e != null && e.getValue() != null) {
                    expected.add(key);
                }
            });
            String context = "run " + run + " of seed " + seed + ", round " + round;
            assertThat(listAll(view, "i/b/", "", 1 + random.nextInt(7))).as(context).isEqualTo(expected);
            for (String key : history.keySet()) {
                Map.Entry<Long, String> e = history.get(key).floorEntry(round);
                assertThat(data(view.get(P, key, true))).as(context + ", " + key).isEqualTo(e == null ? null : e.getValue());
            }
            // Folded by "/" under "i/b/": each key with no "/" after the prefix, and each common prefix once, in order.
            List<String> folded = new ArrayList<>();
            for (String key : expected) {
                int slash = key.indexOf('/', "i/b/".length());
                String entry = slash < 0 ? key : key.substring(0, slash + 1);
                if (folded.isEmpty() || !folded.getLast().equals(entry)) {
                    folded.add(entry);
                }
            }
            assertThat(listAll(view, "i/b/", "/", 1 + random.nextInt(7))).as(context + ", folded").isEqualTo(folded);
        }
    }

    /** Every key (or common prefix) a listing returns, page after page as the gateway reads them. */
    private static List<String> listAll(BackupView view, String prefix, String delimiter, int limit) {
        List<String> out = new ArrayList<>();
        String after = "";
        while (true) {
            List<Record> page = view.scan(P, prefix, after, limit, delimiter);
            assertThat(page.size()).isLessThanOrEqualTo(limit);
            for (Record r : page) {
                String key = r.getKey();
                int slash = delimiter.isEmpty() ? -1 : key.indexOf(delimiter, prefix.length());
                out.add(slash < 0 ? key : key.substring(0, slash + 1));
            }
            if (page.size() < limit) {
                return out;
            }
            Record last = page.getLast();
            int slash = delimiter.isEmpty() ? -1 : last.getKey().indexOf(delimiter, prefix.length());
            // Past a common prefix as the gateway's listing skips it; past the key otherwise.
            after = slash < 0 ? last.getKey() : last.getKey().substring(0, slash + 1) + "\udbff\udfff";
        }
    }
}
