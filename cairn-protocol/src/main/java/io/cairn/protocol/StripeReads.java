package io.cairn.protocol;

import io.cairn.core.codec.StripeLayout;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.map.StoragePolicy;
import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.protocol.ReplicaStateMachine.Responder;
import io.cairn.protocol.erasure.BlockStamp;
import io.cairn.protocol.erasure.StripeAssembly;
import io.cairn.protocol.erasure.StripeCoder;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Reads of erasure-coded chunks from the holders of their stripes, on any node.
 *
 * <p>A read asks the holders of the data blocks it needs (only those a byte range touches) for
 * their own verified copies; when they all answer with blocks of one version, their bytes are
 * returned as they are, without decoding. Otherwise (a holder down, a block missing, corrupt, or
 * of another version) it asks every other holder, decodes from the newest version with {@code k}
 * agreeing blocks (see {@link StripeAssembly}), checks the rebuilt chunk against the CRC32C in its
 * stamp, and sends each damaged block, rebuilt, back to its holder. It never returns bytes it
 * could not check. A holder rebuilding its own block of one version (catch-up, scrub) uses the
 * same assembly, pinned to that version.
 */
final class StripeReads {

    /** Block rewrites that may be in flight at once; more are dropped (the next read or scrub finds them again). */
    static final int REPAIRS_IN_FLIGHT_MAX = 16;

    /** How a read of a chunk ended. */
    sealed interface Read {
        record Found(ByteBuffer data) implements Read {}

        /** The newest record of the chunk is a deletion, or no holder has it. */
        record NotFound() implements Read {}

        record Failed(String why) implements Read {}
    }

    /** How a holder's rebuild of its own block ended. */
    sealed interface Rebuild {
        /** The block and the metadata (with its stamp) to store for it. */
        record Built(ByteBuffer block, byte[] meta) implements Rebuild {}

        /** Fewer than {@code k} blocks of the version exist: a write that never completed. */
        record Torn(String why) implements Rebuild {}

        /** Fewer than {@code k} blocks could be fetched now; try again later. */
        record Unavailable(String why) implements Rebuild {}
    }

    private final ReplicaStateMachine r;
    private int repairsInFlight;

    StripeReads(ReplicaStateMachine replica) {
        this.r = replica;
    }

    void readForGateway(Request.ReadStripe s, Responder reply) {
        read(s.partition(), s.key(), s.chunkLength(), s.offset(), s.length(), Optional.empty(), outcome -> reply.reply(switch (outcome) {
            case Read.Found f -> new Reply.StripeReply(Status.OK, r.epoch(), "", f.data());
            case Read.NotFound nf -> new Reply.StripeReply(Status.NOT_FOUND, r.epoch(), "", null);
            case Read.Failed fail -> new Reply.StripeReply(Status.CORRUPT, r.epoch(), fail.why(), null);
        }));
    }

    /**
     * Bytes {@code [offset, offset + length)} of chunk {@code key} of erasure-coded partition
     * {@code p}, {@code chunkLength} long: of the newest complete stripe, or of the stripe at
     * {@code version} when one is given (a read that names the version it answers with).
     */
    void read(PartitionId p, String key, int chunkLength, int offset, int length, Optional<Version> version, Consumer<Read> done) {
        Optional<PoolInfo> pool = r.pool(p);
        if (pool.isEmpty() || pool.get().policy().kind() != StoragePolicy.Kind.ERASURE_CODED) {
            done.accept(new Read.Failed("partition " + p + " is not in an erasure-coded pool in epoch " + r.epoch()));
            return;
        }
        if (offset < 0 || length < 0 || (long) offset + length > chunkLength) {
            done.accept(new Read.Failed("range " + offset + "+" + length + " is outside a chunk of " + chunkLength));
            return;
        }
        StoragePolicy policy = pool.get().policy();
        int k = policy.dataBlocks();
        StripeLayout layout;
        try {
            layout = new StripeLayout(k, policy.parityBlocks(), chunkLength);
        } catch (IllegalArgumentException e) {
            done.accept(new Read.Failed("chunk " + key + ": " + e.getMessage()));
            return;
        }
        if (length == 0) {
            done.accept(new Read.Found(ByteBuffer.allocate(0)));
            return;
        }
        int blockLength = layout.blockLength();
        int first = offset / blockLength;
        int last = (offset + length - 1) / blockLength;
        List<String> holders = r.placement(p).holders();
        StripeAssembly assembly = new StripeAssembly(k, policy.parityBlocks(), chunkLength, version);
        boolean whole = offset == 0 && length == chunkLength;
        fetch(assembly, p, key, holders, first, last, () -> {
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
                if (!whole || Checksums.crc32c(out) == stamp.chunkCrc32c()) {
                    done.accept(new Read.Found(out));
                    return;
                }
                r.note(Effect.Level.WARN, "chunk " + p + " " + key + ": data blocks agree but the joined chunk fails its CRC32C; decoding with parity");
            }
            fetch(assembly, p, key, holders, 0, assembly.totalBlocks() - 1, () -> {
                switch (assembly.outcome()) {
                    case StripeAssembly.Outcome.NotFound nf -> done.accept(new Read.NotFound());
                    case StripeAssembly.Outcome.Torn t -> done.accept(new Read.Failed("chunk " + key + " of " + p + " cannot be read: " + t.why()));
                    case StripeAssembly.Outcome.Unavailable u ->
                            done.accept(new Read.Failed("chunk " + key + " of " + p + " cannot be read now: " + u.why()));
                    case StripeAssembly.Outcome.Complete c -> done.accept(decode(p, key, c, holders, offset, length));
                }
            });
        });
    }

    /** Rebuilds the whole chunk of a complete stripe, checks it, and sends damaged blocks back rebuilt. */
    private Read decode(PartitionId p, String key, StripeAssembly.Outcome.Complete c, List<String> holders, int offset, int length) {
        ByteBuffer[] blocks = c.blocks().clone();
        StripeCoder.rebuild(c.stamp(), blocks, c.present(), c.damaged());
        r.counters.stripesDecoded++;
        ByteBuffer chunk;
        try {
            chunk = StripeCoder.joinChecked(c.stamp(), blocks);
        } catch (StripeCoder.ChunkDamagedException e) {
            return new Read.Failed("chunk " + key + " of " + p + ": " + e.getMessage());
        }
        for (int slot : c.damaged()) {
            if (slot < holders.size() && r.isUp(holders.get(slot))) {
                repairLater(p, key, c, slot, blocks[slot], holders.get(slot));
            }
        }
        return new Read.Found(chunk.slice(offset, length));
    }

    private void repairLater(PartitionId p, String key, StripeAssembly.Outcome.Complete c, int slot, ByteBuffer block, String holder) {
        if (repairsInFlight >= REPAIRS_IN_FLIGHT_MAX) {
            r.note(Effect.Level.INFO, "too many block repairs in flight; block " + slot + " of " + p + " " + key + " at " + holder
                    + " waits for the next read");
            return;
        }
        repairsInFlight++;
        LogRecord record = new LogRecord(key, c.version(), false, c.stamp().forIndex(slot).wrap(c.innerMeta()), block, true,
                block.remaining(), Checksums.crc32c(block), false);
        r.call(holder, new Request.RepairBlock(r.epoch(), p, record), r.config().rpcTimeoutMillis(), (answer, failure) -> {
            repairsInFlight--;
            if (answer != null && answer.status() == Status.OK) {
                r.counters.blocksRepaired++;
                r.note(Effect.Level.WARN, "rewrote damaged block " + slot + " of " + p + " " + key + " at " + holder);
            } else {
                r.note(Effect.Level.INFO, "block " + slot + " of " + p + " " + key + " at " + holder + " not rewritten: "
                        + (answer == null ? failure : answer.status() + " " + answer.message()));
            }
        });
    }

    /**
     * Rebuilds block {@code slot} of the stripe that {@code key} had at {@code version} (a record of
     * a partition log, whose {@code logStamp} gives the stripe's shape) from the other holders.
     */
    void rebuild(PartitionId p, String key, Version version, BlockStamp logStamp, int slot, Consumer<Rebuild> done) {
        List<String> holders = r.placement(p).holders();
        StripeAssembly assembly = new StripeAssembly(logStamp.dataBlocks(), logStamp.parityBlocks(), logStamp.chunkLength(),
                Optional.of(version));
        assembly.add(new StripeAssembly.Answer.Absent(slot));
        fetch(assembly, p, key, holders, 0, assembly.totalBlocks() - 1, () -> done.accept(switch (assembly.outcome()) {
            case StripeAssembly.Outcome.NotFound nf -> new Rebuild.Torn(nf.why());
            case StripeAssembly.Outcome.Torn t -> new Rebuild.Torn(t.why());
            case StripeAssembly.Outcome.Unavailable u -> new Rebuild.Unavailable(u.why());
            case StripeAssembly.Outcome.Complete c -> {
                ByteBuffer[] blocks = c.blocks().clone();
                StripeCoder.rebuild(c.stamp(), blocks, c.present(), List.of(slot));
                try {
                    StripeCoder.joinChecked(c.stamp(), blocks);
                    yield new Rebuild.Built(blocks[slot], c.stamp().forIndex(slot).wrap(c.innerMeta()));
                } catch (StripeCoder.ChunkDamagedException e) {
                    yield new Rebuild.Unavailable(e.getMessage());
                }
            }
        }));
    }

    /**
     * What the holders have of the stripe {@code key} had at {@code version}: complete (at least
     * {@code k} agreeing blocks), torn (fewer, even counting the holders that did not answer) or
     * unavailable for now.
     */
    void verify(PartitionId p, String key, Version version, BlockStamp stamp, Consumer<StripeAssembly.Outcome> done) {
        List<String> holders = r.placement(p).holders();
        StripeAssembly assembly = new StripeAssembly(stamp.dataBlocks(), stamp.parityBlocks(), stamp.chunkLength(), Optional.of(version));
        fetch(assembly, p, key, holders, 0, assembly.totalBlocks() - 1, () -> done.accept(assembly.outcome()));
    }

    /** Asks the holders of slots {@code first..last} that have not answered yet, in parallel; {@code then} runs once all have. */
    private void fetch(StripeAssembly assembly, PartitionId p, String key, List<String> holders, int first, int last, Runnable then) {
        int[] pending = {0};
        boolean[] asking = {true};
        for (int slot = first; slot <= last; slot++) {
            if (assembly.answered(slot)) {
                continue;
            }
            if (slot >= holders.size()) {
                assembly.add(new StripeAssembly.Answer.Unreachable(slot, "the placement has no holder for this slot"));
                continue;
            }
            String holder = holders.get(slot);
            if (!r.isUp(holder)) {
                assembly.add(new StripeAssembly.Answer.Unreachable(slot, holder + " is down"));
                continue;
            }
            int s = slot;
            pending[0]++;
            r.call(holder, new Request.Get(r.epoch(), p, key, true, true, 0), r.config().rpcTimeoutMillis(), (answer, failure) -> {
                assembly.add(answerOf(s, holder, answer, failure));
                if (--pending[0] == 0 && !asking[0]) {
                    then.run();
                }
            });
        }
        asking[0] = false;
        if (pending[0] == 0) {
            then.run();
        }
    }

    private static StripeAssembly.Answer answerOf(int slot, String holder, Reply answer, String failure) {
        if (!(answer instanceof Reply.GetReply g)) {
            return new StripeAssembly.Answer.Unreachable(slot, holder + ": " + (answer == null ? failure : "unexpected " + answer));
        }
        return switch (g.status()) {
            case OK -> {
                LogRecord rec = g.record();
                if (rec == null) {
                    yield new StripeAssembly.Answer.Damaged(slot, Optional.empty(), "an answer without its record");
                }
                if (rec.tombstone()) {
                    yield new StripeAssembly.Answer.Tombstone(slot, rec.version());
                }
                if (!BlockStamp.isStamped(rec.meta()) || rec.blob() == null) {
                    yield new StripeAssembly.Answer.Damaged(slot, Optional.of(rec.version()), "the record carries no block stamp or block");
                }
                try {
                    yield new StripeAssembly.Answer.Block(slot, rec.version(), BlockStamp.parse(rec.meta()), BlockStamp.innerMeta(rec.meta()),
                            rec.blob());
                } catch (IllegalArgumentException e) {
                    yield new StripeAssembly.Answer.Damaged(slot, Optional.of(rec.version()), "bad block stamp: " + e.getMessage());
                }
            }
            case NOT_FOUND -> new StripeAssembly.Answer.Absent(slot);
            case CORRUPT -> new StripeAssembly.Answer.Damaged(slot, Optional.empty(), g.message());
            default -> new StripeAssembly.Answer.Unreachable(slot, holder + ": " + g.status() + " " + g.message());
        };
    }
}
