package io.cairn.testkit.sim;

import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * One simulated node's disk: the records of every partition it holds (the latest version of
 * each key, as the real store keeps them), plus small local values such as cursors. Like the
 * real store, a write is visible only once it is durable: the node makes it after a simulated
 * sync latency, and a write still waiting for it when the node crashes is lost. Capacity can
 * shrink (another tenant filled the disk), and a stored value can have its bits flipped under
 * its checksum.
 */
final class SimDisk {

    /** A stored record; {@code value} is null for a tombstone. {@code crc} is the checksum the value was written with. */
    record Rec(String key, Version version, byte[] value, int crc) {
        boolean tombstone() {
            return value == null;
        }

        int size() {
            return key.length() + 16 + (value == null ? 0 : value.length);
        }

        boolean intact() {
            return value == null || SimDisk.crc(value) == crc;
        }
    }

    static int crc(byte[] value) {
        CRC32C c = new CRC32C();
        c.update(value);
        return (int) c.getValue();
    }

    /** The disk is full: the write was not made. */
    static final class FullException extends Exception {
        FullException(String message) {
            super(message, null, false, false);
        }
    }

    private final Map<PartitionId, TreeMap<String, Rec>> partitions = new HashMap<>();
    private final Map<String, Version> local = new HashMap<>();
    private long capacityBytes;
    private long usedBytes;

    SimDisk(long capacityBytes) {
        this.capacityBytes = capacityBytes;
    }

    /** Stores {@code r} if it is newer than the key's stored version; returns whether it did. */
    boolean apply(PartitionId p, Rec r) throws FullException {
        TreeMap<String, Rec> recs = partitions.computeIfAbsent(p, k -> new TreeMap<>());
        Rec old = recs.get(r.key());
        if (old != null && !r.version().isAfter(old.version())) {
            return false;
        }
        long grow = r.size() - (old == null ? 0 : old.size());
        if (grow > 0 && usedBytes + grow > capacityBytes) {
            throw new FullException("disk full: " + usedBytes + " of " + capacityBytes + " bytes used");
        }
        recs.put(r.key(), r);
        usedBytes += grow;
        return true;
    }

    /** Rewrites a damaged value in place with a good copy of the same version. */
    boolean repair(PartitionId p, Rec good) {
        TreeMap<String, Rec> recs = partitions.get(p);
        Rec old = recs == null ? null : recs.get(good.key());
        if (old == null || !old.version().equals(good.version()) || old.intact() || !good.intact()) {
            return false;
        }
        recs.put(good.key(), good);
        return true;
    }

    void putLocal(String key, Version v) {
        local.put(key, v);
    }

    Optional<Version> getLocal(String key) {
        return Optional.ofNullable(local.get(key));
    }

    Optional<Rec> get(PartitionId p, String key) {
        TreeMap<String, Rec> recs = partitions.get(p);
        return recs == null ? Optional.empty() : Optional.ofNullable(recs.get(key));
    }

    Version lastVersion(PartitionId p) {
        TreeMap<String, Rec> recs = partitions.get(p);
        Version last = Version.ZERO;
        if (recs != null) {
            for (Rec r : recs.values()) {
                if (r.version().isAfter(last)) {
                    last = r.version();
                }
            }
        }
        return last;
    }

    /** The partition's log after {@code after}: its records of newer versions, oldest first, at most {@code limit}. */
    List<Rec> since(PartitionId p, Version after, int limit) {
        TreeMap<String, Rec> recs = partitions.get(p);
        if (recs == null) {
            return List.of();
        }
        List<Rec> out = new ArrayList<>();
        for (Rec r : recs.values()) {
            if (r.version().isAfter(after)) {
                out.add(r);
            }
        }
        out.sort(Comparator.comparing(Rec::version));
        return out.size() > limit ? out.subList(0, limit) : out;
    }

    /** Records stored, over every partition. */
    long records() {
        return partitions.values().stream().mapToLong(Map::size).sum();
    }

    /** Partitions with records here. */
    java.util.Set<PartitionId> partitions() {
        java.util.Set<PartitionId> out = new java.util.HashSet<>();
        partitions.forEach((p, recs) -> {
            if (!recs.isEmpty()) {
                out.add(p);
            }
        });
        return out;
    }

    /** Deletes every record of {@code p}. */
    void drop(PartitionId p) {
        TreeMap<String, Rec> recs = partitions.remove(p);
        if (recs != null) {
            for (Rec r : recs.values()) {
                usedBytes -= r.size();
            }
        }
    }

    Map<String, Rec> records(PartitionId p) {
        TreeMap<String, Rec> recs = partitions.get(p);
        return recs == null ? Map.of() : recs;
    }

    /** Flips one bit of a stored value; false if there is none to flip. */
    boolean flipBit(PartitionId p, String key, int bit) {
        Rec r = get(p, key).orElse(null);
        if (r == null || r.value() == null || r.value().length == 0) {
            return false;
        }
        byte[] damaged = r.value().clone();
        int i = Math.floorMod(bit, damaged.length * 8);
        damaged[i / 8] ^= (byte) (1 << (i % 8));
        partitions.get(p).put(key, new Rec(r.key(), r.version(), damaged, r.crc()));
        return true;
    }

    long usedBytes() {
        return usedBytes;
    }

    long capacityBytes() {
        return capacityBytes;
    }

    void setCapacityBytes(long capacityBytes) {
        this.capacityBytes = capacityBytes;
    }

    boolean full() {
        return usedBytes >= capacityBytes;
    }
}
