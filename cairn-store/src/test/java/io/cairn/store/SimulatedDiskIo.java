package io.cairn.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link SegmentIo} over real files that remembers what has not been made durable and, on
 * {@link #crash}, does to it what a power cut may: cuts unsynced tails at a random point,
 * flips bits and zeroes ranges in what is left of them, and drops files whose directory
 * entry was never synced. Everything forced survives. It can also run out of space (a
 * capacity over all its files), fail the directories it is told to, and {@link #freeze}
 * (as if the power had gone: writes still land in the "page cache", every force, truncate
 * and other call fails, so what was written since the last force is at the crash's mercy).
 */
final class SimulatedDiskIo implements SegmentIo {

    private final Map<Path, Long> syncedLength = new ConcurrentHashMap<>();
    private final Map<Path, Long> size = new ConcurrentHashMap<>();
    private final Set<Path> unsyncedEntries = ConcurrentHashMap.newKeySet();
    private final Set<Path> failingDirs = ConcurrentHashMap.newKeySet();
    private volatile long capacityBytes;
    private volatile boolean frozen;
    private volatile long overstatedFreeBytes;

    SimulatedDiskIo(long capacityBytes) {
        this.capacityBytes = capacityBytes;
    }

    void setCapacity(long bytes) {
        capacityBytes = bytes;
    }

    void failDirectory(Path dataDir) {
        failingDirs.add(dataDir.toAbsolutePath().normalize());
    }

    /** Makes the file system report more free space than writes will find (as quotas and thin volumes do). */
    void overstateFreeSpace(long bytes) {
        overstatedFreeBytes = bytes;
    }

    void freeze() {
        frozen = true;
    }

    void unfreeze() {
        frozen = false;
    }

    long usedBytes() {
        return size.values().stream().mapToLong(Long::longValue).sum();
    }

    private void check(Path file) throws IOException {
        if (frozen) {
            throw new IOException("simulated machine stop");
        }
        checkHealth(file);
    }

    /** Fails calls on a failed directory; a frozen disk still answers questions about space. */
    private void checkHealth(Path file) throws IOException {
        for (Path d : failingDirs) {
            if (file.toAbsolutePath().normalize().startsWith(d)) {
                throw new IOException("Input/output error (simulated failed disk " + d + ")");
            }
        }
    }

    @Override
    public SegmentChannel open(Path file) throws IOException {
        check(file);
        Path key = file.toAbsolutePath().normalize();
        boolean existed = Files.exists(key);
        FileChannel ch = FileChannel.open(key, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        long length = ch.size();
        size.put(key, length);
        if (!existed) {
            unsyncedEntries.add(key);
            syncedLength.put(key, 0L);
        } else {
            syncedLength.putIfAbsent(key, length);
        }
        return new Channel(key, ch);
    }

    @Override
    public void delete(Path file) throws IOException {
        check(file);
        Path key = file.toAbsolutePath().normalize();
        Files.deleteIfExists(key);
        size.remove(key);
        syncedLength.remove(key);
        unsyncedEntries.remove(key);
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        check(dir);
        Path d = dir.toAbsolutePath().normalize();
        unsyncedEntries.removeIf(f -> d.equals(f.getParent()));
    }

    @Override
    public long usableBytes(Path dir) throws IOException {
        checkHealth(dir);
        return Math.max(0, capacityBytes - usedBytes()) + overstatedFreeBytes;
    }

    @Override
    public long totalBytes(Path dir) throws IOException {
        checkHealth(dir);
        return capacityBytes;
    }

    /**
     * Applies a power cut to every file: unsynced tails are cut at a random point and what
     * remains of them is damaged; files never made durable in their directory may vanish.
     * Call with every channel closed.
     */
    void crash(Random random) throws IOException {
        Set<Path> files = new HashSet<>(size.keySet());
        for (Path f : files) {
            if (!Files.exists(f)) {
                continue;
            }
            if (unsyncedEntries.contains(f) && random.nextBoolean()) {
                Files.delete(f);
                size.remove(f);
                syncedLength.remove(f);
                continue;
            }
            long synced = syncedLength.getOrDefault(f, 0L);
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                long length = ch.size();
                if (length > synced) {
                    long cut = synced + (long) (random.nextDouble() * (length - synced + 1));
                    cut = Math.min(cut, length);
                    ch.truncate(cut);
                    long unsynced = cut - synced;
                    if (unsynced > 0) {
                        int flips = random.nextInt(4);
                        for (int i = 0; i < flips; i++) {
                            long at = synced + (long) (random.nextDouble() * unsynced);
                            ByteBuffer b = ByteBuffer.allocate(1);
                            ch.read(b, at);
                            b.put(0, (byte) (b.get(0) ^ (1 << random.nextInt(8))));
                            ch.write(b.rewind(), at);
                        }
                        if (random.nextInt(4) == 0) {
                            long from = synced + (long) (random.nextDouble() * unsynced);
                            int zeros = (int) Math.min(cut - from, 1 + random.nextInt(4096));
                            ch.write(ByteBuffer.allocate(zeros), from);
                        }
                    }
                }
                size.put(f, ch.size());
                syncedLength.put(f, ch.size());
            }
        }
        unsyncedEntries.clear();
    }

    private final class Channel implements SegmentChannel {

        private final Path file;
        private final FileChannel ch;

        Channel(Path file, FileChannel ch) {
            this.file = file;
            this.ch = ch;
        }

        @Override
        public void write(ByteBuffer src, long position) throws IOException {
            if (!frozen) {
                check(file);
            }
            long end = position + src.remaining();
            long current = size.getOrDefault(file, 0L);
            long growth = Math.max(0, end - current);
            long room = capacityBytes - usedBytes();
            if (growth > room) {
                // a partial write, then the error a full disk gives
                int partial = (int) Math.max(0, Math.min(src.remaining(), room + (current - position)));
                ByteBuffer head = src.duplicate().limit(src.position() + Math.max(0, partial));
                long at = position;
                while (head.hasRemaining()) {
                    at += ch.write(head, at);
                }
                size.put(file, Math.max(current, at));
                throw new IOException("No space left on device");
            }
            long at = position;
            while (src.hasRemaining()) {
                at += ch.write(src, at);
            }
            size.merge(file, at, Math::max);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            check(file);
            int total = 0;
            while (dst.hasRemaining()) {
                int n = ch.read(dst, position + total);
                if (n < 0) {
                    break;
                }
                total += n;
            }
            return total;
        }

        @Override
        public void force() throws IOException {
            check(file);
            syncedLength.put(file, ch.size());
        }

        @Override
        public long size() throws IOException {
            check(file);
            return ch.size();
        }

        @Override
        public void truncate(long newSize) throws IOException {
            check(file);
            ch.truncate(newSize);
            size.put(file, ch.size());
            syncedLength.merge(file, ch.size(), Math::min);
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}
