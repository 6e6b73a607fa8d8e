package io.cairn.node.rpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.cairn.core.partition.PartitionId;
import io.cairn.core.store.Mutation;
import io.cairn.core.store.StoredRecord;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/** Converts between the wire messages and the domain and store types. */
public final class RecordCodec {
    private RecordCodec() {}

    public static PartitionRef ref(PartitionId p) {
        return PartitionRef.newBuilder().setPool(p.pool()).setPartition(p.partition()).build();
    }

    public static PartitionId partition(PartitionRef ref) {
        return new PartitionId(ref.getPool(), ref.getPartition());
    }

    public static io.cairn.node.rpc.Version version(io.cairn.core.partition.Version v) {
        return io.cairn.node.rpc.Version.newBuilder().setEpoch(v.epoch()).setSeq(v.seq()).build();
    }

    public static io.cairn.core.partition.Version version(io.cairn.node.rpc.Version v) {
        return new io.cairn.core.partition.Version(v.getEpoch(), v.getSeq());
    }

    /** The wire form of a stored record, without blob bytes. */
    public static Record.Builder record(StoredRecord r) {
        return Record.newBuilder()
                .setKey(r.key())
                .setVersion(version(r.version()))
                .setTombstone(r.tombstone())
                .setMeta(r.meta() == null ? ByteString.EMPTY : ByteString.copyFrom(r.meta()))
                .setBlobLength(r.blobLength())
                .setBlobCrc32C(r.blobCrc32c())
                .setHasBlob(r.blobLength() > 0);
    }

    public static ByteString bytes(ByteBuffer data) {
        return UnsafeByteOperations.unsafeWrap(data.duplicate());
    }

    /** The mutation a record describes; {@code blob} is null for records without data. */
    public static Mutation mutation(Record r, ByteBuffer blob) {
        return new Mutation(r.getKey(), version(r.getVersion()), r.getTombstone(), r.getMeta().toByteArray(), blob,
                r.getUnderProtected());
    }

    public static int crc32c(ByteBuffer data) {
        CRC32C crc = new CRC32C();
        crc.update(data.duplicate());
        return (int) crc.getValue();
    }
}
