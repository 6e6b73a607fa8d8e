package io.cairn.server.gateway;

import io.cairn.core.map.BucketInfo;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.partition.PartitionId;
import io.cairn.core.placement.PartitionHash;
import java.util.List;
import java.util.TreeSet;

/**
 * Where an object's records live. A bucket's incarnation ({@code name.created}) prefixes its
 * record keys, so a bucket deleted and created again never sees the old one's records.
 */
public final class ObjectKeys {
    private ObjectKeys() {}

    public static String incarnation(BucketInfo b) {
        return b.name() + "." + b.createdMillis();
    }

    /** Record key of an object's index entry. */
    public static String indexKey(BucketInfo b, String key) {
        return indexPrefix(b) + key;
    }

    public static String indexPrefix(BucketInfo b) {
        return "i/" + incarnation(b) + "/";
    }

    /** The index partition of {@code key}: the partition of the key's index shard. */
    public static PartitionId indexPartition(BucketInfo b, PoolInfo pool, String key) {
        return shardPartition(b, pool, PartitionHash.partitionOf(key, b.indexShards()));
    }

    /**
     * The partition of index shard {@code shard}: in the spread layout, consecutive partitions
     * from one hashed start (so {@code s} shards take {@code min(s, partitions)} partitions); in
     * the hashed layout of older buckets, each shard hashed on its own.
     */
    static PartitionId shardPartition(BucketInfo b, PoolInfo pool, int shard) {
        if (b.indexLayout() == BucketInfo.INDEX_LAYOUT_SPREAD) {
            int start = PartitionHash.partitionOf("index/" + incarnation(b), pool.partitions());
            return new PartitionId(pool.name(), (int) ((start + (long) shard) % pool.partitions()));
        }
        return new PartitionId(pool.name(), PartitionHash.partitionOf("index/" + incarnation(b) + "/" + shard, pool.partitions()));
    }

    /** The distinct partitions holding the bucket's index shards. */
    public static List<PartitionId> indexPartitions(BucketInfo b, PoolInfo pool) {
        TreeSet<PartitionId> set = new TreeSet<>();
        for (int s = 0; s < b.indexShards(); s++) {
            set.add(shardPartition(b, pool, s));
        }
        return List.copyOf(set);
    }

    /** Record key of a data chunk. */
    public static String chunkKey(String chunkId) {
        return "c/" + chunkId;
    }

    /** The id of the chunk whose record key is {@code chunkKey}. */
    public static String chunkIdOf(String chunkKey) {
        return chunkKey.substring(2);
    }

    /**
     * The id of chunk {@code index} of an object (or part) written as {@code versionId}: the
     * bucket's incarnation first, so that a chunk's key names its bucket ({@link #bucketOf}).
     */
    public static String chunkId(BucketInfo b, String versionId, int index) {
        return incarnation(b) + "/" + versionId + "." + index;
    }

    /**
     * The name of the bucket a record key belongs to: that of an index entry, an upload, a part or a
     * chunk; empty for a chunk written before chunk ids named their bucket, and for any other key.
     */
    public static java.util.Optional<String> bucketOf(String recordKey) {
        if (recordKey.length() < 3 || recordKey.charAt(1) != '/' || "iupc".indexOf(recordKey.charAt(0)) < 0) {
            return java.util.Optional.empty();
        }
        int end = recordKey.indexOf('/', 2);
        int dot = end < 0 ? -1 : recordKey.lastIndexOf('.', end);
        if (dot <= 2 || !recordKey.substring(dot + 1, end).chars().allMatch(Character::isDigit) || dot + 1 == end) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(recordKey.substring(2, dot));
    }

    public static PartitionId chunkPartition(PoolInfo pool, String chunkId) {
        return new PartitionId(pool.name(), PartitionHash.partitionOf("chunk/" + chunkId, pool.partitions()));
    }

    public static String uploadPrefix(BucketInfo b) {
        return "u/" + incarnation(b) + "/";
    }

    public static String uploadKey(BucketInfo b, String key, String uploadId) {
        return uploadPrefix(b) + key + "\u0000" + uploadId;
    }

    /** The prefix of every part entry of the bucket's multipart uploads. */
    public static String partsPrefix(BucketInfo b) {
        return "p/" + incarnation(b) + "/";
    }

    public static String partPrefix(BucketInfo b, String uploadId) {
        return partsPrefix(b) + uploadId + "/";
    }

    public static String partKey(BucketInfo b, String uploadId, int partNumber) {
        return partPrefix(b, uploadId) + String.format("%05d", partNumber);
    }
}
