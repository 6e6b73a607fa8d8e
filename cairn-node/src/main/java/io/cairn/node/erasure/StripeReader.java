package io.cairn.node.erasure;

import io.cairn.core.codec.StripeLayout;
import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.StoragePolicy;
import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.node.MapView;
import io.cairn.node.PeerChannels;
import io.cairn.node.rpc.GetReply;
import io.cairn.node.rpc.GetRequest;
import io.cairn.node.rpc.Record;
import io.cairn.node.rpc.RecordCodec;
import io.cairn.node.rpc.RepairReply;
import io.cairn.node.rpc.RepairRequest;
import io.cairn.node.rpc.Status;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads erasure-coded chunks from the holders of their stripes, on any node.
 *
 * <p>A read asks the holders of the data blocks it needs (only those a byte range touches) for
 * their own verified copies; when they all answer with blocks of one version, their bytes are
 * returned as they are, without decoding. Otherwise (a holder down, a block missing, corrupt,
 * or of another version) it asks every other holder, decodes from the newest version with
 * {@code k} agreeing blocks, checks the rebuilt chunk against the CRC32C in its stamp, and
 * sends each damaged block, rebuilt, back to its holder. It never returns bytes it could not
 * check.
 */
public final class StripeReader implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StripeReader.class);
    /** Block rewrites that may be in flight at once; more are dropped (the next read or scrub finds them again). */
    public static final int REPAIRS_IN_FLIGHT_MAX = 16;

    private final MapView mapView;
    private final PeerChannels peers;
    private final ExecutorService io = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("stripe-io-", 0).factory());
    private final Semaphore repairsInFlight = new Semaphore(REPAIRS_IN_FLIGHT_MAX);
    private final AtomicLong stripesDecoded = new AtomicLong();
    private final AtomicLong blocksRepaired = new AtomicLong();

    public StripeReader(MapView mapView, PeerChannels peers) {
        this.mapView = mapView;
        this.peers = peers;
    }

    /** Reads that had to decode from parity since start. */
    public long stripesDecoded() {
        return stripesDecoded.get();
    }

    /** Damaged blocks rewritten at their holders since start. */
    public long blocksRepaired() {
        return blocksRepaired.get();
    }

    /**
     * Bytes {@code [offset, offset + length)} of the chunk {@code key} of erasure-coded partition
     * {@code p}, whose whole length is {@code chunkLength}; empty if it was deleted or never
     * written. Throws {@link IOException} when fewer than {@code k} good blocks can be found.
     */
    public Optional<ByteBuffer> read(PartitionId p, String key, int chunkLength, int offset, int length) throws IOException {
        if (offset < 0 || length < 0 || (long) offset + length > chunkLength) {
            throw new IllegalArgumentException("range " + offset + "+" + length + " is outside a chunk of " + chunkLength);
        }
        MapView.Current current = mapView.current();
        StoragePolicy policy = ecPolicy(current.map(), p);
        int k = policy.dataBlocks();
        StripeLayout layout = new StripeLayout(k, policy.parityBlocks(), chunkLength);
        if (length == 0) {
            return Optional.of(ByteBuffer.allocate(0));
        }
        int blockLength = layout.blockLength();
        int first = offset / blockLength;
        int last = (offset + length - 1) / blockLength;
        List<String> holders = current.placement().of(p).holders();
        StripeAssembly assembly = new StripeAssembly(k, policy.parityBlocks(), chunkLength, Optional.empty());
        fetch(assembly, current, p, key, holders, first, last);
        boolean whole = offset == 0 && length == chunkLength;
        if (assembly.dataBlocksAgree(first, last).isPresent()) {
            ByteBuffer out = ByteBuffer.allocate(length);
            for (int j = first; j <= last; j++) {
                ByteBuffer block = assembly.block(j).orElseThrow().data();
                int from = Math.max(offset, j * blockLength) - j * blockLength;
                int to = Math.min(offset + length, (j + 1) * blockLength) - j * blockLength;
                out.put(block.slice(block.position() + from, to - from));
            }
            out.flip();
            BlockStamp stamp = assembly.block(first).orElseThrow().stamp();
            if (!whole || StripeCoder.crc32c(out) == stamp.chunkCrc32c()) {
                return Optional.of(out);
            }
            log.warn("chunk {} {}: data blocks agree but the joined chunk fails its CRC32C; decoding with parity", p, key);
        }
        fetch(assembly, current, p, key, holders, 0, assembly.totalBlocks() - 1);
        StripeAssembly.Outcome outcome = assembly.outcome();
        switch (outcome) {
            case StripeAssembly.Outcome.NotFound nf -> {
                return Optional.empty();
            }
            case StripeAssembly.Outcome.Torn t -> throw new IOException("chunk " + key + " of " + p + " cannot be read: " + t.why());
            case StripeAssembly.Outcome.Unavailable u -> throw new IOException("chunk " + key + " of " + p + " cannot be read now: " + u.why());
            case StripeAssembly.Outcome.Complete c -> {
                ByteBuffer chunk = decode(p, key, c, holders, current);
                return Optional.of(chunk.slice(offset, length));
            }
        }
    }

    /** Rebuilds the whole chunk of a complete stripe, checks it, and sends damaged blocks back rebuilt. */
    private ByteBuffer decode(PartitionId p, String key, StripeAssembly.Outcome.Complete c, List<String> holders,
                              MapView.Current current) throws IOException {
        ByteBuffer[] blocks = c.blocks().clone();
        StripeCoder.rebuild(c.stamp(), blocks, c.present(), c.damaged());
        stripesDecoded.incrementAndGet();
        ByteBuffer chunk;
        try {
            chunk = StripeCoder.joinChecked(c.stamp(), blocks);
        } catch (StripeCoder.ChunkDamagedException e) {
            throw new IOException("chunk " + key + " of " + p + ": " + e.getMessage());
        }
        for (int slot : c.damaged()) {
            if (slot < holders.size() && isUp(current.map(), holders.get(slot))) {
                repairLater(p, key, c, slot, blocks[slot], holders.get(slot));
            }
        }
        return chunk;
    }

    private void repairLater(PartitionId p, String key, StripeAssembly.Outcome.Complete c, int slot, ByteBuffer block, String holder) {
        if (!repairsInFlight.tryAcquire()) {
            log.info("too many block repairs in flight; block {} of {} {} at {} waits for the next read", slot, p, key, holder);
            return;
        }
        io.submit(() -> {
            try {
                Record record = Record.newBuilder().setKey(key).setVersion(RecordCodec.version(c.version()))
                        .setMeta(com.google.protobuf.ByteString.copyFrom(c.stamp().forIndex(slot).wrap(c.innerMeta())))
                        .setHasBlob(true).setBlob(RecordCodec.bytes(block)).setBlobLength(block.remaining())
                        .setBlobCrc32C(StripeCoder.crc32c(block)).build();
                RepairReply r = peers.stub(holder).repairBlock(RepairRequest.newBuilder().setEpoch(mapView.epoch())
                        .setPartition(RecordCodec.ref(p)).setRecord(record).build());
                if (r.getStatus() == Status.OK) {
                    blocksRepaired.incrementAndGet();
                    log.warn("rewrote damaged block {} of {} {} at {}", slot, p, key, holder);
                } else {
                    log.info("block {} of {} {} at {} not rewritten: {} {}", slot, p, key, holder, r.getStatus(), r.getMessage());
                }
            } catch (RuntimeException e) {
                log.info("rewrite of block {} of {} {} at {} failed: {}", slot, p, key, holder, e.toString());
            } finally {
                repairsInFlight.release();
            }
        });
    }

    /** The result of rebuilding one holder's own block of one log record. */
    public sealed interface Rebuild {
        /** The block and the metadata (with its stamp) to store for it. */
        record Built(ByteBuffer block, byte[] meta) implements Rebuild {}

        /** Fewer than {@code k} blocks of the version exist: a write that never completed. */
        record Torn(String why) implements Rebuild {}

        /** Fewer than {@code k} blocks could be fetched now; try again later. */
        record Unavailable(String why) implements Rebuild {}
    }

    /**
     * Rebuilds block {@code slot} of the stripe that {@code key} had at {@code version} (a record of
     * a partition log, whose {@code logStamp} gives the stripe's shape) from the other holders.
     */
    public Rebuild rebuild(PartitionId p, String key, Version version, BlockStamp logStamp, int slot) {
        MapView.Current current = mapView.current();
        List<String> holders = current.placement().of(p).holders();
        StripeAssembly assembly = new StripeAssembly(logStamp.dataBlocks(), logStamp.parityBlocks(), logStamp.chunkLength(),
                Optional.of(version));
        assembly.add(new StripeAssembly.Answer.Absent(slot));
        fetch(assembly, current, p, key, holders, 0, assembly.totalBlocks() - 1);
        switch (assembly.outcome()) {
            case StripeAssembly.Outcome.NotFound nf -> {
                return new Rebuild.Torn(nf.why());
            }
            case StripeAssembly.Outcome.Torn t -> {
                return new Rebuild.Torn(t.why());
            }
            case StripeAssembly.Outcome.Unavailable u -> {
                return new Rebuild.Unavailable(u.why());
            }
            case StripeAssembly.Outcome.Complete c -> {
                ByteBuffer[] blocks = c.blocks().clone();
                StripeCoder.rebuild(c.stamp(), blocks, c.present(), List.of(slot));
                try {
                    StripeCoder.joinChecked(c.stamp(), blocks);
                } catch (StripeCoder.ChunkDamagedException e) {
                    return new Rebuild.Unavailable(e.getMessage());
                }
                return new Rebuild.Built(blocks[slot], c.stamp().forIndex(slot).wrap(c.innerMeta()));
            }
        }
    }

    /** Asks the holders of slots {@code first..last} that have not answered yet, in parallel. */
    private void fetch(StripeAssembly assembly, MapView.Current current, PartitionId p, String key, List<String> holders,
                       int first, int last) {
        List<Integer> slots = new ArrayList<>();
        List<Future<StripeAssembly.Answer>> calls = new ArrayList<>();
        for (int slot = first; slot <= last; slot++) {
            if (assembly.answered(slot)) {
                continue;
            }
            if (slot >= holders.size()) {
                assembly.add(new StripeAssembly.Answer.Unreachable(slot, "the placement has no holder for this slot"));
                continue;
            }
            String holder = holders.get(slot);
            if (!isUp(current.map(), holder)) {
                assembly.add(new StripeAssembly.Answer.Unreachable(slot, holder + " is down"));
                continue;
            }
            final int s = slot;
            slots.add(slot);
            calls.add(io.submit(() -> ask(current.epoch(), p, key, s, holder)));
        }
        for (int i = 0; i < calls.size(); i++) {
            try {
                assembly.add(calls.get(i).get());
            } catch (ExecutionException e) {
                assembly.add(new StripeAssembly.Answer.Unreachable(slots.get(i), e.getCause().toString()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                assembly.add(new StripeAssembly.Answer.Unreachable(slots.get(i), "interrupted"));
            }
        }
    }

    private StripeAssembly.Answer ask(long epoch, PartitionId p, String key, int slot, String holder) {
        GetReply r;
        try {
            r = peers.stub(holder).get(GetRequest.newBuilder().setEpoch(epoch).setPartition(RecordCodec.ref(p)).setKey(key)
                    .setWithBlob(true).setLocalOnly(true).build());
        } catch (RuntimeException e) {
            return new StripeAssembly.Answer.Unreachable(slot, holder + ": " + e.getMessage());
        }
        return switch (r.getStatus()) {
            case OK -> {
                Record rec = r.getRecord();
                Version v = RecordCodec.version(rec.getVersion());
                if (rec.getTombstone()) {
                    yield new StripeAssembly.Answer.Tombstone(slot, v);
                }
                byte[] meta = rec.getMeta().toByteArray();
                if (!BlockStamp.isStamped(meta)) {
                    yield new StripeAssembly.Answer.Damaged(slot, Optional.of(v), "the record carries no block stamp");
                }
                try {
                    yield new StripeAssembly.Answer.Block(slot, v, BlockStamp.parse(meta), BlockStamp.innerMeta(meta),
                            rec.getBlob().asReadOnlyByteBuffer());
                } catch (IllegalArgumentException e) {
                    yield new StripeAssembly.Answer.Damaged(slot, Optional.of(v), "bad block stamp: " + e.getMessage());
                }
            }
            case NOT_FOUND -> new StripeAssembly.Answer.Absent(slot);
            case CORRUPT -> new StripeAssembly.Answer.Damaged(slot, Optional.empty(), r.getMessage());
            default -> new StripeAssembly.Answer.Unreachable(slot, holder + ": " + r.getStatus() + " " + r.getMessage());
        };
    }

    private static StoragePolicy ecPolicy(ClusterMap map, PartitionId p) throws IOException {
        StoragePolicy policy = map.pool(p.pool())
                .orElseThrow(() -> new IOException("no pool " + p.pool() + " in epoch " + map.epoch())).policy();
        if (policy.kind() != StoragePolicy.Kind.ERASURE_CODED) {
            throw new IllegalArgumentException("pool " + p.pool() + " is " + policy + ", not erasure-coded");
        }
        return policy;
    }

    private static boolean isUp(ClusterMap map, String nodeId) {
        return map.node(nodeId).map(NodeInfo::isUp).orElse(false);
    }

    @Override
    public void close() {
        io.shutdownNow();
    }
}
