package io.cairn.store;

import io.cairn.core.store.PartitionStore;
import io.cairn.core.store.Mutation;
import io.cairn.core.store.StoredRecord;
import io.cairn.core.store.BlobRead;
import io.cairn.core.store.ApplyOutcome;
import io.cairn.core.store.StoreStats;
import io.cairn.core.store.StoreLimits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The behaviour every {@link PartitionStore} implementation must show: the segment engine and the
 * simulator's in-memory store alike. A subclass says how to open its store (again, over the same
 * data, after a close) and how to damage a stored blob the way a disk would.
 */
public abstract class PartitionStoreContractTest {

    protected static final PartitionId P0 = new PartitionId("a", 0);
    protected static final PartitionId P1 = new PartitionId("a", 1);
    protected static final PartitionId Q0 = new PartitionId("ab", 0);

    @TempDir
    protected Path dir;
    protected PartitionStore store;

    /** Opens (or reopens, over what the last store there left) the implementation's store in dataDir. */
    protected abstract PartitionStore open(Path dataDir) throws IOException;

    /** How a stored blob can be damaged. */
    protected enum Damage {
        /** One bit of the blob's data flips near its end. */
        DATA_BIT,
        /** The bytes that describe the blob (a record header) are damaged. */
        HEADER,
        /** The blob loses its last bytes. */
        TRUNCATED
    }

    /** Damages the stored blob of {@code key} as {@code how} says, behind the store's back. */
    protected abstract void damage(PartitionStore store, PartitionId p, String key, Damage how) throws IOException;

    @BeforeEach
    void openStore() throws IOException {
        store = open(dir);
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    protected static Version v(long epoch, long seq) {
        return new Version(epoch, seq);
    }

    protected static Mutation put(String key, Version version, String data) {
        return new Mutation(key, version, false, ("meta " + key + " " + version).getBytes(StandardCharsets.UTF_8),
                ByteBuffer.wrap(data.getBytes(StandardCharsets.UTF_8)));
    }

    protected static Mutation metaOnly(String key, Version version) {
        return new Mutation(key, version, false, ("meta " + key).getBytes(StandardCharsets.UTF_8), null);
    }

    protected static Mutation tombstone(String key, Version version) {
        return new Mutation(key, version, true, null, null);
    }

    protected static String text(BlobRead read) {
        assertThat(read).isInstanceOf(BlobRead.Found.class);
        ByteBuffer data = ((BlobRead.Found) read).data().duplicate();
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    protected static List<String> keys(List<StoredRecord> records) {
        return records.stream().map(StoredRecord::key).toList();
    }

    @Test
    void appliedRecordIsReadBackWithItsBlob() throws IOException {
        assertThat(store.apply(P0, put("c/1", v(1, 1), "hello"))).isEqualTo(ApplyOutcome.APPLIED);

        StoredRecord r = store.get(P0, "c/1").orElseThrow();
        assertThat(r.key()).isEqualTo("c/1");
        assertThat(r.version()).isEqualTo(v(1, 1));
        assertThat(r.tombstone()).isFalse();
        assertThat(new String(r.meta(), StandardCharsets.UTF_8)).isEqualTo("meta c/1 1.1");
        assertThat(r.blobLength()).isEqualTo(5);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update("hello".getBytes(StandardCharsets.UTF_8));
        assertThat(r.blobCrc32c()).isEqualTo((int) crc.getValue());
        assertThat(text(store.readBlob(P0, "c/1"))).isEqualTo("hello");
        assertThat(((BlobRead.Found) store.readBlob(P0, "c/1")).version()).isEqualTo(v(1, 1));
        assertThat(store.get(P1, "c/1")).isEmpty();
        assertThat(store.readBlob(P1, "c/1")).isEqualTo(new BlobRead.Missing());
    }

    @Test
    void applyLeavesTheCallersBufferUntouched() throws IOException {
        ByteBuffer blob = ByteBuffer.wrap("0123456789".getBytes(StandardCharsets.UTF_8)).position(2).limit(6);
        store.apply(P0, new Mutation("k", v(1, 1), false, null, blob));

        assertThat(blob.position()).isEqualTo(2);
        assertThat(blob.limit()).isEqualTo(6);
        assertThat(text(store.readBlob(P0, "k"))).isEqualTo("2345");
        assertThat(store.get(P0, "k").orElseThrow().meta()).isEmpty();
    }

    @Test
    void equalOrOlderVersionIsStaleAndChangesNothing() throws IOException {
        store.apply(P0, put("k", v(2, 5), "new"));
        StoreStats before = store.stats();

        assertThat(store.apply(P0, put("k", v(2, 5), "same version, other bytes"))).isEqualTo(ApplyOutcome.STALE);
        assertThat(store.apply(P0, put("k", v(2, 4), "older seq"))).isEqualTo(ApplyOutcome.STALE);
        assertThat(store.apply(P0, put("k", v(1, 99), "older epoch"))).isEqualTo(ApplyOutcome.STALE);
        assertThat(store.apply(P0, tombstone("k", v(1, 1)))).isEqualTo(ApplyOutcome.STALE);

        assertThat(store.get(P0, "k").orElseThrow().version()).isEqualTo(v(2, 5));
        assertThat(text(store.readBlob(P0, "k"))).isEqualTo("new");
        assertThat(store.stats().usedBytes()).isEqualTo(before.usedBytes());
        assertThat(store.stats().records()).isEqualTo(1);
    }

    @Test
    void newerVersionReplacesRecordAndBlob() throws IOException {
        store.apply(P0, put("k", v(1, 9), "first"));
        assertThat(store.apply(P0, put("k", v(2, 1), "second, longer"))).isEqualTo(ApplyOutcome.APPLIED);

        assertThat(store.get(P0, "k").orElseThrow().version()).isEqualTo(v(2, 1));
        assertThat(text(store.readBlob(P0, "k"))).isEqualTo("second, longer");
        assertThat(store.stats().records()).isEqualTo(1);
    }

    @Test
    void metadataOnlyRecordHasNoBlob() throws IOException {
        store.apply(P0, metaOnly("i/b/o", v(1, 1)));

        StoredRecord r = store.get(P0, "i/b/o").orElseThrow();
        assertThat(r.blobLength()).isZero();
        assertThat(r.blobCrc32c()).isZero();
        assertThat(store.readBlob(P0, "i/b/o")).isEqualTo(new BlobRead.Missing());
    }

    @Test
    void tombstoneReplacesRecordAndIsVisibleOnlyWhereAsked() throws IOException {
        store.apply(P0, put("i/b/x", v(1, 1), "x"));
        store.apply(P0, put("i/b/y", v(1, 2), "y"));
        assertThat(store.apply(P0, tombstone("i/b/x", v(1, 3)))).isEqualTo(ApplyOutcome.APPLIED);

        StoredRecord r = store.get(P0, "i/b/x").orElseThrow();
        assertThat(r.tombstone()).isTrue();
        assertThat(r.version()).isEqualTo(v(1, 3));
        assertThat(r.blobLength()).isZero();
        assertThat(store.readBlob(P0, "i/b/x")).isEqualTo(new BlobRead.Missing());
        assertThat(keys(store.scan(P0, "i/b/", "", 10, false))).containsExactly("i/b/y");
        assertThat(keys(store.scan(P0, "i/b/", "", 10, true))).containsExactly("i/b/x", "i/b/y");
        assertThat(store.since(P0, Version.ZERO, 10)).extracting(StoredRecord::key, StoredRecord::tombstone)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("i/b/y", false),
                        org.assertj.core.groups.Tuple.tuple("i/b/x", true));
        assertThat(store.apply(P0, put("i/b/x", v(1, 2), "resurrect with an old version")))
                .isEqualTo(ApplyOutcome.STALE);
    }

    @Test
    void scanStaysInsideItsPartitionAndHonoursPrefixAfterKeyAndLimit() throws IOException {
        long seq = 1;
        for (String k : List.of("i/b/a", "i/b/b", "i/b/c", "i/b/d", "i/c/a", "c/1", "i/b")) {
            store.apply(P0, put(k, v(1, seq++), k));
        }
        for (String k : List.of("i/b/0", "i/b/z")) {
            store.apply(P1, put(k, v(1, seq++), k));
            store.apply(Q0, put(k, v(1, seq++), k));
        }

        assertThat(keys(store.scan(P0, "i/b/", "", 100, false))).containsExactly("i/b/a", "i/b/b", "i/b/c", "i/b/d");
        assertThat(keys(store.scan(P0, "", "", 100, false)))
                .containsExactly("c/1", "i/b", "i/b/a", "i/b/b", "i/b/c", "i/b/d", "i/c/a");
        assertThat(keys(store.scan(P0, "i/b/", "i/b/b", 100, false))).containsExactly("i/b/c", "i/b/d");
        assertThat(keys(store.scan(P0, "i/b/", "i/b/bb", 100, false))).containsExactly("i/b/c", "i/b/d");
        assertThat(keys(store.scan(P0, "i/b/", "a", 100, false))).hasSize(4);
        assertThat(keys(store.scan(P0, "i/b/", "i/c", 100, false))).isEmpty();
        assertThat(keys(store.scan(P0, "i/b/", "", 3, false))).containsExactly("i/b/a", "i/b/b", "i/b/c");
        assertThat(keys(store.scan(P1, "", "", 100, false))).containsExactly("i/b/0", "i/b/z");
        assertThat(keys(store.scan(Q0, "", "", 100, false))).containsExactly("i/b/0", "i/b/z");
        assertThat(keys(store.scan(new PartitionId("a", 2), "", "", 100, false))).isEmpty();

        List<String> paged = new ArrayList<>();
        String after = "";
        while (true) {
            List<StoredRecord> page = store.scan(P0, "i/", after, 2, false);
            if (page.isEmpty()) {
                break;
            }
            paged.addAll(keys(page));
            after = page.getLast().key();
        }
        assertThat(paged).containsExactly("i/b", "i/b/a", "i/b/b", "i/b/c", "i/b/d", "i/c/a");
    }

    @Test
    void scanOrdersKeysByTheirUtf8Bytes() throws IOException {
        String bmpHigh = "k\uFFFD";
        String supplementary = "k\uD83D\uDE00";
        String accented = "k\u00E9";
        store.apply(P0, put(supplementary, v(1, 1), "s"));
        store.apply(P0, put(bmpHigh, v(1, 2), "b"));
        store.apply(P0, put(accented, v(1, 3), "a"));
        store.apply(P0, put("kz", v(1, 4), "z"));

        assertThat(keys(store.scan(P0, "k", "", 10, false))).containsExactly("kz", accented, bmpHigh, supplementary);
        assertThat(keys(store.scan(P0, "k", bmpHigh, 10, false))).containsExactly(supplementary);
        assertThat(text(store.readBlob(P0, supplementary))).isEqualTo("s");
    }

    @Test
    void sinceListsTheLatestVersionOfEachKeyInVersionOrder() throws IOException {
        store.apply(P0, put("a", v(1, 1), "a1"));
        store.apply(P0, put("b", v(1, 2), "b2"));
        store.apply(P0, put("a", v(1, 3), "a3"));
        store.apply(P0, metaOnly("c", v(2, 1)));
        store.apply(P0, put("d", v(1, 10), "d10"));
        store.apply(P1, put("a", v(5, 5), "other partition"));

        assertThat(store.since(P0, Version.ZERO, 100)).extracting(StoredRecord::key, StoredRecord::version)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("b", v(1, 2)),
                        org.assertj.core.groups.Tuple.tuple("a", v(1, 3)),
                        org.assertj.core.groups.Tuple.tuple("d", v(1, 10)),
                        org.assertj.core.groups.Tuple.tuple("c", v(2, 1)));
        assertThat(keys(store.since(P0, v(1, 2), 100))).containsExactly("a", "d", "c");
        assertThat(keys(store.since(P0, v(1, 4), 100))).containsExactly("d", "c");
        assertThat(keys(store.since(P0, Version.ZERO, 2))).containsExactly("b", "a");
        assertThat(store.since(P0, v(2, 1), 100)).isEmpty();
        assertThat(store.lastVersion(P0)).isEqualTo(v(2, 1));
        assertThat(store.lastVersion(P1)).isEqualTo(v(5, 5));
        assertThat(store.lastVersion(Q0)).isEqualTo(Version.ZERO);
        assertThat(store.since(Q0, Version.ZERO, 100)).isEmpty();
    }

    @Test
    void reopenKeepsRecordsBlobsLogAndLocalValues() throws IOException {
        store.apply(P0, put("c/1", v(1, 1), "one"));
        store.apply(P0, put("c/1", v(1, 2), "one again"));
        store.apply(P0, tombstone("i/b/gone", v(1, 3)));
        store.apply(Q0, metaOnly("i/b/meta", v(3, 7)));
        store.putLocal("node-id", "n1".getBytes(StandardCharsets.UTF_8));
        StoreStats before = store.stats();

        store.close();
        store = open(dir);

        assertThat(text(store.readBlob(P0, "c/1"))).isEqualTo("one again");
        assertThat(store.get(P0, "i/b/gone").orElseThrow().tombstone()).isTrue();
        assertThat(store.get(Q0, "i/b/meta").orElseThrow().version()).isEqualTo(v(3, 7));
        assertThat(keys(store.since(P0, Version.ZERO, 10))).containsExactly("c/1", "i/b/gone");
        assertThat(store.lastVersion(Q0)).isEqualTo(v(3, 7));
        assertThat(store.partitions()).containsExactly(P0, Q0);
        assertThat(store.getLocal("node-id")).hasValueSatisfying(
                b -> assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo("n1"));
        assertThat(store.stats().records()).isEqualTo(3);
        assertThat(store.stats().usedBytes()).isEqualTo(before.usedBytes());
    }

    @Test
    void damagedBlobIsReportedCorruptThenRepairedWithAGoodCopy() throws IOException {
        store.apply(P0, put("c/7", v(4, 2), "precious bytes"));
        damage(store, P0, "c/7", Damage.DATA_BIT);

        BlobRead damaged = store.readBlob(P0, "c/7");
        assertThat(damaged).isInstanceOf(BlobRead.Corrupt.class);
        assertThat(((BlobRead.Corrupt) damaged).reason()).contains("checksum");
        assertThat(store.stats().corruptionsDetected()).isEqualTo(1);

        assertThat(store.repair(P0, put("c/7", v(4, 1), "precious bytes"))).isFalse();
        assertThat(store.repair(P0, put("c/8", v(4, 2), "precious bytes"))).isFalse();
        assertThat(store.get(P0, "c/8")).isEmpty();
        assertThat(store.readBlob(P0, "c/7")).isInstanceOf(BlobRead.Corrupt.class);

        assertThat(store.repair(P0, put("c/7", v(4, 2), "precious bytes"))).isTrue();
        assertThat(text(store.readBlob(P0, "c/7"))).isEqualTo("precious bytes");
        assertThat(store.get(P0, "c/7").orElseThrow().version()).isEqualTo(v(4, 2));
        assertThat(store.stats().corruptionsDetected()).isEqualTo(2);
        assertThat(keys(store.since(P0, Version.ZERO, 10))).containsExactly("c/7");
    }

    @Test
    void damagedHeaderOrTruncatedBlobIsCorrupt() throws IOException {
        store.apply(P0, put("h", v(1, 1), "header damage"));
        store.apply(P0, put("t", v(1, 2), "truncation"));

        damage(store, P0, "h", Damage.HEADER);
        damage(store, P0, "t", Damage.TRUNCATED);

        assertThat(store.readBlob(P0, "h")).isInstanceOf(BlobRead.Corrupt.class);
        assertThat(store.readBlob(P0, "t")).isInstanceOf(BlobRead.Corrupt.class);
        assertThat(store.stats().corruptionsDetected()).isEqualTo(2);

        assertThat(store.repair(P0, put("t", v(1, 2), "truncation"))).isTrue();
        assertThat(store.repair(P0, put("h", v(1, 1), "header damage"))).isTrue();
        assertThat(text(store.readBlob(P0, "t"))).isEqualTo("truncation");
        assertThat(text(store.readBlob(P0, "h"))).isEqualTo("header damage");
    }

    @Test
    void partitionsListsHoldersAndDropForgetsOnlyThatPartition() throws IOException {
        store.apply(P0, put("c/1", v(1, 1), "p0"));
        store.apply(P1, put("c/1", v(1, 1), "p1"));
        store.apply(P1, tombstone("i/x", v(1, 2)));
        store.apply(Q0, put("c/1", v(1, 1), "q0"));
        PartitionId last = new PartitionId("a", Integer.MAX_VALUE);
        store.apply(last, metaOnly("k", v(1, 1)));
        assertThat(store.partitions()).containsExactly(P0, P1, last, Q0);

        store.dropPartition(P1);

        assertThat(store.partitions()).containsExactly(P0, last, Q0);
        assertThat(store.get(P1, "c/1")).isEmpty();
        assertThat(store.readBlob(P1, "c/1")).isEqualTo(new BlobRead.Missing());
        assertThat(store.since(P1, Version.ZERO, 10)).isEmpty();
        assertThat(store.lastVersion(P1)).isEqualTo(Version.ZERO);
        assertThat(text(store.readBlob(P0, "c/1"))).isEqualTo("p0");
        assertThat(text(store.readBlob(Q0, "c/1"))).isEqualTo("q0");
        assertThat(store.stats().records()).isEqualTo(3);

        store.dropPartition(last);
        store.dropPartition(new PartitionId("never", 3));
        assertThat(store.partitions()).containsExactly(P0, Q0);
        assertThat(store.apply(P1, put("c/1", v(1, 1), "again"))).isEqualTo(ApplyOutcome.APPLIED);
        assertThat(text(store.readBlob(P1, "c/1"))).isEqualTo("again");
    }

    @Test
    void badInputIsRejectedClearlyAndChangesNothing() throws IOException {
        store.apply(P0, put("k", v(1, 1), "keep"));
        StoreStats before = store.stats();
        String longest = "é".repeat(StoreLimits.KEY_BYTES_MAX / 2);
        String tooLong = longest + "x";

        assertThatThrownBy(() -> put(tooLong, v(1, 2), "x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2049 bytes");
        assertThatThrownBy(() -> put("x".repeat(5000), v(1, 2), "x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("" + StoreLimits.KEY_BYTES_MAX);
        assertThatThrownBy(() -> put("bad\uD800", v(1, 2), "x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Unicode");
        assertThatThrownBy(() -> put("", v(1, 2), "x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> put("k", Version.ZERO, "x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Mutation("k", v(1, 2), true, null, ByteBuffer.allocate(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tombstone");
        assertThatThrownBy(() -> new Mutation("k", v(1, 2), false, new byte[StoreLimits.META_BYTES_MAX + 1], null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("meta");
        assertThatThrownBy(() -> store.get(P0, tooLong)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.readBlob(P0, tooLong)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.scan(P0, tooLong, "", 10, true)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.scan(P0, "", "", 0, true)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.scan(P0, "", "", StoreLimits.LIST_LIMIT_MAX + 1, true))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.since(P0, Version.ZERO, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.apply(new PartitionId("", 0), put("k", v(1, 2), "x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pool");
        assertThatThrownBy(() -> store.putLocal("big", new byte[StoreLimits.LOCAL_VALUE_BYTES_MAX + 1]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.putLocal("", new byte[1])).isInstanceOf(IllegalArgumentException.class);

        assertThat(store.stats().records()).isEqualTo(before.records());
        assertThat(store.stats().usedBytes()).isEqualTo(before.usedBytes());
        assertThat(store.partitions()).containsExactly(P0);
        assertThat(store.getLocal("big")).isEmpty();
        assertThat(text(store.readBlob(P0, "k"))).isEqualTo("keep");

        assertThat(store.apply(P0, put(longest, v(1, 2), "longest key"))).isEqualTo(ApplyOutcome.APPLIED);
        assertThat(text(store.readBlob(P0, longest))).isEqualTo("longest key");
        assertThat(keys(store.scan(P0, "é", "", 10, false))).containsExactly(longest);
    }

    @Test
    void localValuesRoundTripAndOverwrite() throws IOException {
        assertThat(store.getLocal("mark")).isEmpty();
        store.putLocal("mark", new byte[] {1, 2});
        store.putLocal("mark", new byte[] {3});
        store.putLocal("empty", new byte[0]);

        assertThat(store.getLocal("mark")).hasValue(new byte[] {3});
        assertThat(store.getLocal("empty")).hasValue(new byte[0]);
        assertThat(store.partitions()).isEmpty();
        assertThat(store.stats().records()).isZero();
    }

    @Test
    void statsFollowWhatIsStored() throws IOException {
        StoreStats empty = store.stats();
        assertThat(empty.records()).isZero();
        assertThat(empty.usedBytes()).isZero();
        assertThat(empty.capacityBytes()).isPositive();
        assertThat(empty.freeBytes()).isBetween(0L, empty.capacityBytes());

        store.apply(P0, new Mutation("c/big", v(1, 1), false, null, ByteBuffer.allocate(100_000)));
        StoreStats one = store.stats();
        assertThat(one.records()).isEqualTo(1);
        assertThat(one.usedBytes()).isGreaterThanOrEqualTo(100_000);

        store.apply(P0, tombstone("c/big", v(1, 2)));
        StoreStats gone = store.stats();
        assertThat(gone.records()).isEqualTo(1);
        assertThat(gone.usedBytes()).isPositive().isLessThan(1_000);

        store.dropPartition(P0);
        assertThat(store.stats().records()).isZero();
        assertThat(store.stats().usedBytes()).isZero();
    }

    @Test
    void closedStoreRefusesCalls() throws IOException {
        store.close();
        store.close();

        assertThatThrownBy(() -> store.get(P0, "k")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> store.apply(P0, put("k", v(1, 1), "x"))).isInstanceOf(IllegalStateException.class);
        store = open(dir);
        assertThat(store.get(P0, "k")).isEmpty();
    }

    @Test
    void concurrentAppliersEndWithTheHighestVersionOfEachKey() throws Exception {
        long seed = Long.decode(System.getProperty("cairn.test.seed", "0x" + Long.toHexString(System.nanoTime())));
        String reproduce = "seed 0x" + Long.toHexString(seed) + "; reproduce: ./mvnw -o -pl cairn-store test -Dtest="
                + getClass().getSimpleName() + "#concurrentAppliersEndWithTheHighestVersionOfEachKey"
                + " -Dcairn.test.seed=0x" + Long.toHexString(seed);
        System.out.println(reproduce);
        int threads = 8;
        int opsPerThread = 40;
        List<String> keys = List.of("c/0", "c/1", "c/2", "c/3", "i/b/0", "i/b/1", "i/b/2", "i/b/3", "i/b/4", "x");
        Random random = new Random(seed);
        List<List<Mutation>> work = new ArrayList<>();
        Map<String, Version> highest = new HashMap<>();
        for (int t = 0; t < threads; t++) {
            List<Mutation> ops = new ArrayList<>();
            for (int i = 0; i < opsPerThread; i++) {
                String key = keys.get(random.nextInt(keys.size()));
                Version version = v(1 + random.nextInt(3), 1 + random.nextInt(40));
                ops.add(mutationFor(key, version));
                highest.merge(key, version, (a, b) -> a.compareTo(b) >= 0 ? a : b);
            }
            work.add(ops);
        }

        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (List<Mutation> ops : work) {
                done.add(pool.submit(() -> {
                    start.await();
                    for (Mutation m : ops) {
                        store.apply(P0, m);
                        store.readBlob(P0, m.key());
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }

        for (Map.Entry<String, Version> e : highest.entrySet()) {
            Mutation expected = mutationFor(e.getKey(), e.getValue());
            StoredRecord r = store.get(P0, e.getKey()).orElseThrow();
            assertThat(r.version()).as(reproduce).isEqualTo(e.getValue());
            assertThat(r.tombstone()).as(reproduce).isEqualTo(expected.tombstone());
            if (expected.tombstone()) {
                assertThat(store.readBlob(P0, e.getKey())).as(reproduce).isEqualTo(new BlobRead.Missing());
            } else {
                BlobRead read = store.readBlob(P0, e.getKey());
                assertThat(read).as(reproduce).isInstanceOf(BlobRead.Found.class);
                assertThat(((BlobRead.Found) read).data()).as(reproduce).isEqualTo(expected.blob());
            }
        }
        List<StoredRecord> log = store.since(P0, Version.ZERO, 1000);
        assertThat(log).as(reproduce).hasSize(highest.size());
        assertThat(log).extracting(StoredRecord::version).as(reproduce).isSorted();
        assertThat(store.lastVersion(P0)).as(reproduce)
                .isEqualTo(highest.values().stream().max(Version::compareTo).orElseThrow());
        assertThat(store.stats().records()).as(reproduce).isEqualTo(highest.size());
        assertThat(store.stats().corruptionsDetected()).as(reproduce).isZero();
        long usedBefore = store.stats().usedBytes();
        store.close();
        store = open(dir);
        assertThat(store.stats().usedBytes()).as(reproduce).isEqualTo(usedBefore);
    }

    @Test
    void underProtectedWritesAreMarkedUntilClearedAndSurviveAReopen() throws IOException {
        Mutation full = put("full", v(1, 1), "three copies");
        store.apply(P0, full);
        for (int i = 2; i <= 5; i++) {
            Mutation m = put("k" + i, v(1, i), "one copy " + i);
            store.apply(P0, new Mutation(m.key(), m.version(), false, m.meta(), m.blob(), true));
        }
        store.apply(P1, new Mutation("other", v(1, 1), false, null, null, true));
        // k3 is written again with all its copies: its old mark no longer names a live record.
        store.apply(P0, put("k3", v(1, 6), "rewritten in full"));

        assertThat(store.underProtectedMarks(P0)).isEqualTo(4);
        assertThat(store.underProtected(P0, Version.ZERO, 10)).extracting(StoredRecord::key).containsExactly("k2", "k4", "k5");
        assertThat(store.underProtected(P0, v(1, 2), 1)).extracting(StoredRecord::key).containsExactly("k4");
        assertThat(store.since(P0, Version.ZERO, 10)).hasSize(5);

        store.close();
        store = open(dir);
        assertThat(store.underProtectedMarks(P0)).isEqualTo(4);
        assertThat(store.underProtectedMarks(P1)).isEqualTo(1);

        store.clearUnderProtected(P0, v(1, 4));
        assertThat(store.underProtectedMarks(P0)).isEqualTo(1);
        assertThat(store.underProtected(P0, Version.ZERO, 10)).extracting(StoredRecord::key).containsExactly("k5");
        assertThat(store.underProtectedMarks(P1)).as("another partition keeps its marks").isEqualTo(1);

        store.dropPartition(P1);
        assertThat(store.underProtectedMarks(P1)).isZero();
        assertThat(store.underProtected(P1, Version.ZERO, 10)).isEmpty();
        store.clearUnderProtected(P0, v(1, Long.MAX_VALUE));
        assertThat(store.underProtectedMarks(P0)).isZero();
        store.close();
        store = open(dir);
        assertThat(store.underProtectedMarks(P0)).isZero();
        assertThat(store.get(P0, "k5")).as("clearing marks keeps the records").isPresent();
    }

    /** The one mutation a (key, version) pair stands for, so that repeated versions are identical. */
    protected static Mutation mutationFor(String key, Version version) {
        Random r = new Random(key.hashCode() * 1_000_003L + version.epoch() * 1_009L + version.seq());
        if (r.nextInt(8) == 0) {
            return tombstone(key, version);
        }
        byte[] data = new byte[1 + r.nextInt(3000)];
        r.nextBytes(data);
        return new Mutation(key, version, false, version.toString().getBytes(StandardCharsets.UTF_8),
                ByteBuffer.wrap(data));
    }
}
