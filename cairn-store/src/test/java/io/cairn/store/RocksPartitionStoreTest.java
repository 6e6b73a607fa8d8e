package io.cairn.store;

import io.cairn.core.store.PartitionStore;
import io.cairn.core.store.Mutation;
import io.cairn.core.store.BlobRead;
import io.cairn.core.store.ApplyOutcome;
import io.cairn.core.store.StoreStats;
import io.cairn.core.store.StoreFullException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.core.partition.PartitionId;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class RocksPartitionStoreTest extends PartitionStoreContractTest {

    /** Small segments, no reserve, compaction only when a test asks, every blob in a segment. */
    static final StoreConfig TEST_CONFIG = StoreConfig.DEFAULTS.withFreeReserve(0, 0).withSegmentBytesMax(1 << 20)
            .withCompaction(0.5, 1L << 30, 0).withInlineBlobBytesMax(0);

    @Override
    protected PartitionStore open(Path dataDir) throws IOException {
        return RocksPartitionStore.open(List.of(dataDir), TEST_CONFIG);
    }

    /** A stored blob's bytes: a file, the offset where its header starts, and its length with the data. */
    record BlobSpan(Path file, long offset, long length) {}

    BlobSpan blobSpanOf(PartitionStore store, PartitionId p, String key) {
        RocksPartitionStore s = (RocksPartitionStore) store;
        return new BlobSpan(s.blobPath(p, key), s.blobOffset(p, key), s.blobRecordBytes(p, key));
    }

    static void flipByte(BlobSpan span, long offsetInRecord, int mask) throws IOException {
        try (FileChannel ch = FileChannel.open(span.file(), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, span.offset() + offsetInRecord);
            b.put(0, (byte) (b.get(0) ^ mask));
            ch.write(b.rewind(), span.offset() + offsetInRecord);
        }
    }

    @Override
    protected void damage(PartitionStore store, PartitionId p, String key, Damage how) throws IOException {
        BlobSpan span = blobSpanOf(store, p, key);
        switch (how) {
            case DATA_BIT -> flipByte(span, span.length() - 3, 0x40);
            case HEADER -> flipByte(span, 5, 1);
            case TRUNCATED -> {
                try (FileChannel ch = FileChannel.open(span.file(), StandardOpenOption.WRITE)) {
                    ch.truncate(span.offset() + span.length() - 4);
                }
            }
        }
    }

    RocksPartitionStore rocks() {
        return (RocksPartitionStore) store;
    }

    static List<Path> segmentFiles(Path dataDir) throws IOException {
        try (Stream<Path> files = Files.list(dataDir.resolve("segments"))) {
            return files.filter(f -> f.toString().endsWith(".seg")).sorted().toList();
        }
    }

    static Mutation blob(String key, long seq, int length) {
        byte[] data = new byte[length];
        new Random(key.hashCode() * 31L + seq).nextBytes(data);
        return new Mutation(key, v(1, seq), false, null, ByteBuffer.wrap(data));
    }

    static ByteBuffer dataOf(Mutation m) {
        return m.blob().duplicate();
    }

    @Test
    void blobsShareSegmentFilesAndBlobPathPointsAtTheRecord() throws IOException {
        store.apply(P0, put("c/1", v(1, 1), "first"));
        store.apply(P0, put("c/2", v(1, 2), "second"));

        assertThat(rocks().blobPath(P0, "c/1")).isEqualTo(rocks().blobPath(P0, "c/2"));
        assertThat(rocks().blobOffset(P0, "c/1")).isZero();
        assertThat(rocks().blobOffset(P0, "c/2")).isEqualTo(rocks().blobRecordBytes(P0, "c/1"));
        assertThat(segmentFiles(dir)).hasSize(1);
        store.apply(P0, tombstone("c/1", v(1, 3)));
        assertThatThrownBy(() -> rocks().blobPath(P0, "c/1")).isInstanceOf(NoSuchElementException.class);
    }

    @Test
    void smallBlobsLiveInlineInTheIndex() throws IOException {
        store.close();
        StoreConfig inline = TEST_CONFIG.withInlineBlobBytesMax(4096);
        store = RocksPartitionStore.open(List.of(dir), inline);
        store.apply(P0, blob("s/1", 1, 4096));
        store.apply(P0, blob("s/2", 1, 4097));

        assertThatThrownBy(() -> rocks().blobPath(P0, "s/1")).isInstanceOf(NoSuchElementException.class)
                .hasMessageContaining("inline");
        assertThat(rocks().blobOffset(P0, "s/2")).isZero();
        assertThat(store.get(P0, "s/1").orElseThrow().blobLength()).isEqualTo(4096);
        long used = store.stats().usedBytes();
        store.close();
        store = RocksPartitionStore.open(List.of(dir), inline);

        assertThat(store.stats().usedBytes()).isEqualTo(used);
        assertThat(((BlobRead.Found) store.readBlob(P0, "s/1")).data()).isEqualTo(dataOf(blob("s/1", 1, 4096)));
        assertThat(((BlobRead.Found) store.readBlob(P0, "s/2")).data()).isEqualTo(dataOf(blob("s/2", 1, 4097)));
        assertThat(store.repair(P0, blob("s/1", 1, 4096))).isTrue();
        assertThat(store.apply(P0, tombstone("s/1", v(1, 2)))).isEqualTo(ApplyOutcome.APPLIED);
        assertThat(store.readBlob(P0, "s/1")).isEqualTo(new BlobRead.Missing());
        assertThat(store.stats().corruptionsDetected()).isZero();
    }

    @Test
    void concurrentWritersShareGroupCommits() throws Exception {
        int threads = 32;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < 40; i++) {
                        store.apply(P0, blob("g/" + thread + "/" + i, 1 + i, 4096));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(2, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(store.stats().records()).isEqualTo(threads * 40L);
        assertThat(rocks().writesPerGroupCommit()).isGreaterThan(1.5);
        assertThat(((BlobRead.Found) store.readBlob(P0, "g/7/39")).data()).isEqualTo(dataOf(blob("g/7/39", 40, 4096)));
    }

    @Test
    void tornAndUnacknowledgedTailsAreCutOnOpen() throws IOException {
        store.apply(P0, blob("k/1", 1, 1000));
        store.apply(P0, blob("k/2", 2, 2000));
        BlobSpan second = blobSpanOf(store, P0, "k/2");
        byte[] wholeRecord = new byte[(int) second.length()];
        try (FileChannel ch = FileChannel.open(second.file(), StandardOpenOption.READ)) {
            ch.read(ByteBuffer.wrap(wholeRecord), second.offset());
        }
        long committedEnd = second.offset() + second.length();
        store.close();
        try (FileChannel ch = FileChannel.open(second.file(), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(wholeRecord), committedEnd);
            ch.write(ByteBuffer.wrap(wholeRecord, 0, 700), committedEnd + wholeRecord.length);
        }

        store = open(dir);

        SegmentRecovery r = rocks().lastRecovery();
        assertThat(r.tailBytesTruncated()).isEqualTo(wholeRecord.length + 700L);
        assertThat(r.wholeTailRecordsDropped()).isEqualTo(1);
        assertThat(r.tornTailRecords()).isEqualTo(1);
        assertThat(Files.size(second.file())).isEqualTo(committedEnd);
        assertThat(((BlobRead.Found) store.readBlob(P0, "k/1")).data()).isEqualTo(dataOf(blob("k/1", 1, 1000)));
        assertThat(((BlobRead.Found) store.readBlob(P0, "k/2")).data()).isEqualTo(dataOf(blob("k/2", 2, 2000)));
        store.apply(P0, blob("k/3", 3, 10));
        assertThat(store.readBlob(P0, "k/3")).isInstanceOf(BlobRead.Found.class);
    }

    @Test
    void segmentFilesTheIndexDoesNotKnowAreDeletedOnOpen() throws IOException {
        store.apply(P0, blob("k/1", 1, 100));
        store.close();
        Path stray = dir.resolve("segments").resolve(Segment.fileName(999));
        Files.write(stray, new byte[] {1, 2, 3});

        store = open(dir);

        assertThat(stray).doesNotExist();
        assertThat(rocks().lastRecovery().orphanSegmentsDeleted()).isEqualTo(1);
        assertThat(store.readBlob(P0, "k/1")).isInstanceOf(BlobRead.Found.class);
    }

    @Test
    void compactionRewritesMostlyDeadSegmentsWhileReadersRead() throws Exception {
        int count = 120;
        for (int i = 0; i < count; i++) {
            store.apply(P0, blob("k/" + i, 1, 32 * 1024));
        }
        for (int i = 0; i < count; i++) {
            if (i % 4 != 0) {
                store.apply(P0, tombstone("k/" + i, v(1, 2)));
            }
        }
        int filesBefore = segmentFiles(dir).size();
        long usedBefore = store.stats().usedBytes();
        AtomicBoolean stop = new AtomicBoolean();
        List<String> bad = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread reader = Thread.ofPlatform().start(() -> {
            int i = 0;
            while (!stop.get()) {
                String key = "k/" + (4 * (i++ % (count / 4)));
                BlobRead r = store.readBlob(P0, key);
                if (!(r instanceof BlobRead.Found f) || !f.data().equals(dataOf(blob(key, 1, 32 * 1024)))) {
                    bad.add(key + ": " + r);
                }
            }
        });
        CompactionReport report;
        try {
            report = rocks().compact();
        } finally {
            stop.set(true);
            reader.join();
        }

        assertThat(bad).isEmpty();
        assertThat(report.segmentsRewritten()).isGreaterThanOrEqualTo(2);
        assertThat(report.bytesFreed()).isGreaterThan(report.bytesCopied());
        assertThat(segmentFiles(dir).size()).isLessThan(filesBefore);
        assertThat(store.stats().usedBytes()).isEqualTo(usedBefore);
        store.close();
        store = open(dir);
        for (int i = 0; i < count; i += 4) {
            assertThat(((BlobRead.Found) store.readBlob(P0, "k/" + i)).data())
                    .isEqualTo(dataOf(blob("k/" + i, 1, 32 * 1024)));
        }
        assertThat(store.stats().corruptionsDetected()).isZero();
    }

    @Test
    void fullStoreRefusesWritesButServesReadsAndDeletesThenResumes() throws IOException {
        store.close();
        SimulatedDiskIo disk = new SimulatedDiskIo(8L << 20);
        StoreConfig config = TEST_CONFIG.withFreeReserve(2L << 20, 0).withCompaction(0.9, 1L << 30, 0);
        store = RocksPartitionStore.open(List.of(dir), config, disk);
        int written = 0;
        StoreFullException refused = null;
        while (refused == null && written < 1000) {
            try {
                store.apply(P0, blob("f/" + written, 1, 64 * 1024));
                written++;
            } catch (StoreFullException e) {
                refused = e;
            }
        }
        assertThat(refused).isNotNull();
        assertThat(refused.getMessage()).contains("full");
        assertThat(written).isBetween(80, 100);
        assertThat(store.stats().full()).isTrue();
        assertThatThrownBy(() -> store.apply(P0, metaOnly("f/meta", v(1, 1)))).isInstanceOf(StoreFullException.class);
        assertThat(store.get(P0, "f/" + written)).isEmpty();
        assertThat(((BlobRead.Found) store.readBlob(P0, "f/0")).data()).isEqualTo(dataOf(blob("f/0", 1, 64 * 1024)));

        for (int i = 0; i < written - 5; i++) {
            assertThat(store.apply(P0, tombstone("f/" + i, v(1, 2)))).isEqualTo(ApplyOutcome.APPLIED);
        }
        assertThat(rocks().compact().segmentsRewritten()).isPositive();
        assertThat(store.stats().full()).isFalse();
        assertThat(store.apply(P0, blob("f/again", 1, 64 * 1024))).isEqualTo(ApplyOutcome.APPLIED);
        assertThat(((BlobRead.Found) store.readBlob(P0, "f/" + (written - 1))).data())
                .isEqualTo(dataOf(blob("f/" + (written - 1), 1, 64 * 1024)));
    }

    @Test
    void runningOutOfSpaceMidWriteChangesNothing() throws IOException {
        store.close();
        SimulatedDiskIo disk = new SimulatedDiskIo(1L << 30);
        store = RocksPartitionStore.open(List.of(dir), TEST_CONFIG, disk);
        store.apply(P0, blob("e/1", 1, 100_000));
        disk.setCapacity(disk.usedBytes() + 50_000);
        disk.overstateFreeSpace(1L << 30);
        StoreStats before = store.stats();

        assertThatThrownBy(() -> store.apply(P0, blob("e/2", 1, 100_000))).isInstanceOf(StoreFullException.class)
                .hasMessageContaining("No space left");

        assertThat(store.get(P0, "e/2")).isEmpty();
        assertThat(store.stats().records()).isEqualTo(before.records());
        assertThat(store.stats().usedBytes()).isEqualTo(before.usedBytes());
        assertThat(Files.size(blobSpanOf(store, P0, "e/1").file())).isEqualTo(rocks().blobRecordBytes(P0, "e/1"));
        disk.setCapacity(1L << 30);
        disk.overstateFreeSpace(0);
        store.apply(P0, blob("e/3", 1, 1000));
        store.close();
        store = RocksPartitionStore.open(List.of(dir), TEST_CONFIG, disk);
        assertThat(((BlobRead.Found) store.readBlob(P0, "e/1")).data()).isEqualTo(dataOf(blob("e/1", 1, 100_000)));
        assertThat(((BlobRead.Found) store.readBlob(P0, "e/3")).data()).isEqualTo(dataOf(blob("e/3", 1, 1000)));
        assertThat(store.get(P0, "e/2")).isEmpty();
    }

    @Test
    void segmentsSpreadOverDataDirectoriesAndAFailedOneIsLeftOut() throws IOException {
        store.close();
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        SimulatedDiskIo disk = new SimulatedDiskIo(1L << 30);
        store = RocksPartitionStore.open(List.of(a, b), TEST_CONFIG, disk);
        for (int i = 0; i < 24; i++) {
            store.apply(P0, blob("d/" + i, 1, 200_000));
        }
        assertThat(segmentFiles(a)).isNotEmpty();
        assertThat(segmentFiles(b)).isNotEmpty();
        List<String> onB = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            if (rocks().blobPath(P0, "d/" + i).startsWith(b)) {
                onB.add("d/" + i);
            }
        }
        assertThat(onB).isNotEmpty();

        disk.failDirectory(b);
        for (int i = 24; i < 48; i++) {
            store.apply(P0, blob("d/" + i, 1, 200_000));
        }

        assertThat(store.stats().failedDataDirs()).isEqualTo(1);
        for (int i = 24; i < 48; i++) {
            assertThat(rocks().blobPath(P0, "d/" + i).startsWith(a)).isTrue();
            assertThat(((BlobRead.Found) store.readBlob(P0, "d/" + i)).data())
                    .isEqualTo(dataOf(blob("d/" + i, 1, 200_000)));
        }
        for (String key : onB) {
            assertThat(store.readBlob(P0, key)).isInstanceOf(BlobRead.Corrupt.class);
        }
        assertThat(store.repair(P0, blob(onB.getFirst(), 1, 200_000))).isTrue();
        assertThat(store.readBlob(P0, onB.getFirst())).isInstanceOf(BlobRead.Found.class);
    }

    @Test
    void badDirectoryListsAreRefused() {
        assertThatThrownBy(() -> RocksPartitionStore.open(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RocksPartitionStore.open(List.of(dir.resolve("x"), dir.resolve("x"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("repeat");
        assertThatThrownBy(() -> StoreConfig.DEFAULTS.withFreeReserve(-1, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aSecondOpenOfTheSameDirectoryFailsClearly() {
        assertThatThrownBy(() -> RocksPartitionStore.open(dir)).isInstanceOf(IOException.class)
                .hasMessageContaining("cannot open");
        assertThat(store.partitions()).isEmpty();
    }
}
