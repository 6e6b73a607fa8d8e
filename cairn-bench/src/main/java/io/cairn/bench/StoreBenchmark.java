package io.cairn.bench;

import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.core.store.BlobRead;
import io.cairn.core.store.Mutation;
import io.cairn.core.store.PartitionStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The storage engine benchmark: the disk's own sequential write speed (fsync every 4 MiB,
 * like {@code dd oflag=dsync}) and, on the same directory, the engine's sequential 1 MiB
 * writes, small 4 KiB writes, and random reads. Each phase runs for a fixed time.
 */
public final class StoreBenchmark {

    /** Figures of one run. */
    public record Result(double rawWriteMibPerSecond, double seqWriteMibPerSecond, double smallWriteOpsPerSecond,
            double smallWriteP99Millis, double randomRead4kOpsPerSecond, double randomRead1mMibPerSecond) {}

    /** Figures of the same write phases on another engine. */
    public record WriteResult(double seqWriteMibPerSecond, double smallWriteOpsPerSecond, double smallWriteP99Millis) {}

    /** Opens a store in a directory. */
    @FunctionalInterface
    public interface StoreOpener {
        PartitionStore open(Path dir) throws IOException;
    }

    static final int MIB = 1 << 20;
    static final int SMALL_BYTES = 4096;
    static final int SEQ_WRITERS = 8;
    static final int SMALL_WRITERS = 64;
    static final int READERS = 8;
    static final int LATENCY_SAMPLES_MAX = 1 << 20;
    private static final PartitionId PARTITION = new PartitionId("bench", 0);

    private final long phaseNanos;

    public StoreBenchmark(long phaseMillis) {
        if (phaseMillis < 100 || phaseMillis > 600_000) {
            throw new IllegalArgumentException("phase length must be in [100 ms, 10 min]: " + phaseMillis);
        }
        this.phaseNanos = phaseMillis * 1_000_000L;
    }

    /** (a): sequential 1 MiB writes to a fresh file, fdatasync every 4 MiB; MiB/s. */
    public double rawWrite(Path dir) throws IOException {
        Path file = dir.resolve("raw-write.bin");
        ByteBuffer block = ByteBuffer.allocateDirect(MIB);
        byte[] noise = new byte[MIB];
        new SplittableRandom(1).nextBytes(noise);
        block.put(noise).flip();
        long bytes = 0;
        long start = System.nanoTime();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            while (System.nanoTime() - start < phaseNanos) {
                for (int i = 0; i < 4; i++) {
                    block.rewind();
                    while (block.hasRemaining()) {
                        ch.write(block);
                    }
                }
                ch.force(false);
                bytes += 4L * MIB;
            }
        } finally {
            Files.deleteIfExists(file);
        }
        return mibPerSecond(bytes, System.nanoTime() - start);
    }

    /** (b) and (c) on a store; the keys written stay for the read phases. */
    public WriteResult writes(PartitionStore store, Keys keys) throws Exception {
        Phase seq = runWriters(store, SEQ_WRITERS, MIB, "seq", keys.large);
        Phase small = runWriters(store, SMALL_WRITERS, SMALL_BYTES, "small", keys.small);
        return new WriteResult(mibPerSecond(seq.ops * (long) MIB, seq.nanos), small.ops * 1e9 / small.nanos,
                small.p99Nanos / 1e6);
    }

    /** (d): random reads of the keys written; returns {4 KiB ops/s, 1 MiB MiB/s}. */
    public double[] reads(PartitionStore store, Keys keys) throws Exception {
        Phase small = runReaders(store, keys.small);
        Phase large = runReaders(store, keys.large);
        return new double[] {small.ops * 1e9 / small.nanos, mibPerSecond(large.ops * (long) MIB, large.nanos)};
    }

    /** The keys the write phases wrote. */
    public static final class Keys {
        final List<String> large = new ArrayList<>();
        final List<String> small = new ArrayList<>();
    }

    private record Phase(long ops, long nanos, long p99Nanos) {}

    private Phase runWriters(PartitionStore store, int writers, int blockBytes, String prefix, List<String> written)
            throws Exception {
        AtomicLong seq = new AtomicLong();
        long[][] latencies = new long[writers][];
        int[] counts = new int[writers];
        List<List<String>> keys = new ArrayList<>();
        Exception[] failure = new Exception[1];
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        long[] began = new long[1];
        for (int w = 0; w < writers; w++) {
            int writer = w;
            latencies[w] = new long[LATENCY_SAMPLES_MAX / writers];
            keys.add(new ArrayList<>());
            threads.add(Thread.ofPlatform().name("bench-writer-" + w).start(() -> {
                byte[] data = new byte[blockBytes];
                new SplittableRandom(writer).nextBytes(data);
                try {
                    start.await();
                    while (System.nanoTime() - began[0] < phaseNanos) {
                        long s = seq.incrementAndGet();
                        String key = prefix + "/" + writer + "/" + s;
                        data[0] = (byte) s;
                        long t0 = System.nanoTime();
                        store.apply(PARTITION, new Mutation(key, new Version(1, s), false, null, ByteBuffer.wrap(data)));
                        long t1 = System.nanoTime();
                        if (counts[writer] < latencies[writer].length) {
                            latencies[writer][counts[writer]++] = t1 - t0;
                        }
                        keys.get(writer).add(key);
                    }
                } catch (Exception e) {
                    synchronized (failure) {
                        failure[0] = e;
                    }
                }
            }));
        }
        began[0] = System.nanoTime();
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
        long nanos = System.nanoTime() - began[0];
        if (failure[0] != null) {
            throw failure[0];
        }
        long ops = 0;
        for (List<String> k : keys) {
            ops += k.size();
            written.addAll(k);
        }
        return new Phase(ops, nanos, p99(latencies, counts));
    }

    private Phase runReaders(PartitionStore store, List<String> keys) throws Exception {
        if (keys.isEmpty()) {
            return new Phase(0, 1, 0);
        }
        AtomicLong ops = new AtomicLong();
        Exception[] failure = new Exception[1];
        List<Thread> threads = new ArrayList<>();
        long began = System.nanoTime();
        for (int r = 0; r < READERS; r++) {
            int reader = r;
            threads.add(Thread.ofPlatform().name("bench-reader-" + r).start(() -> {
                SplittableRandom random = new SplittableRandom(100 + reader);
                long n = 0;
                while (System.nanoTime() - began < phaseNanos) {
                    String key = keys.get(random.nextInt(keys.size()));
                    if (!(store.readBlob(PARTITION, key) instanceof BlobRead.Found)) {
                        synchronized (failure) {
                            failure[0] = new IllegalStateException("benchmark read of " + key + " failed");
                        }
                        return;
                    }
                    n++;
                }
                ops.addAndGet(n);
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        if (failure[0] != null) {
            throw failure[0];
        }
        return new Phase(ops.get(), System.nanoTime() - began, 0);
    }

    private static long p99(long[][] latencies, int[] counts) {
        int total = Arrays.stream(counts).sum();
        if (total == 0) {
            return 0;
        }
        long[] all = new long[total];
        int at = 0;
        for (int i = 0; i < latencies.length; i++) {
            System.arraycopy(latencies[i], 0, all, at, counts[i]);
            at += counts[i];
        }
        Arrays.sort(all);
        return all[Math.min(all.length - 1, (int) Math.ceil(all.length * 0.99) - 1)];
    }

    static double mibPerSecond(long bytes, long nanos) {
        return bytes / (double) MIB / (nanos / 1e9);
    }
}
