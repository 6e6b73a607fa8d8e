package io.cairn.protocol.erasure;

import io.cairn.core.partition.Version;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The answers of one stripe's holders for one key, and what can be made of them. Pure: it
 * decides, the stripe reads of the replication protocol fetch and decode.
 *
 * <p>Rules: blocks are only combined when their versions are equal (the sequencing indicator)
 * and their stamps describe the same stripe; a block counts as the index its stamp names, not
 * the slot it was found in (a holder keeps its block when placement moves it to another slot);
 * the newest version with at least {@code k} distinct such blocks wins; a tombstone newer than it means the chunk was deleted. With
 * fewer than {@code k} blocks of any version the stripe is either <em>torn</em> (even the holders
 * that did not answer could not make up {@code k}: a write that never completed) or
 * <em>unavailable</em> for now.
 */
public final class StripeAssembly {

    /** One holder's answer for the key, by its slot in the partition's placement. */
    public sealed interface Answer {
        int slot();

        /** A verified block (its store checked the CRC32C) with the record's version and stamp. */
        record Block(int slot, Version version, BlockStamp stamp, byte[] innerMeta, ByteBuffer data) implements Answer {}

        /** The holder's record is a deletion. */
        record Tombstone(int slot, Version version) implements Answer {}

        /** The holder answered and has no record of the key. */
        record Absent(int slot) implements Answer {}

        /** The holder has the record but its block is unusable (checksum, stamp or length wrong). */
        record Damaged(int slot, Optional<Version> version, String why) implements Answer {}

        /** The holder is down, unreachable, or gave no usable answer. */
        record Unreachable(int slot, String why) implements Answer {}
    }

    /** What the answers add up to. */
    public sealed interface Outcome {
        /**
         * At least {@code k} agreeing blocks of {@code version}: {@code blocks[i]} holds slot
         * {@code i}'s block where {@code present[i]}; {@code damaged} lists slots whose holder has
         * this version but a bad block (to rewrite).
         */
        record Complete(Version version, BlockStamp stamp, byte[] innerMeta, ByteBuffer[] blocks, boolean[] present,
                        List<Integer> damaged) implements Outcome {}

        /** The newest record of the key is a deletion, or no holder has the key at all. */
        record NotFound(String why) implements Outcome {}

        /** Too few blocks, and even the holders that did not answer could not make up {@code k}. */
        record Torn(String why) implements Outcome {}

        /** Too few blocks now; holders that did not answer may have the rest. */
        record Unavailable(String why) implements Outcome {}
    }

    private final int dataBlocks;
    private final int parityBlocks;
    private final int chunkLength;
    private final Optional<Version> wanted;
    private final Answer[] answers;

    /**
     * @param chunkLength the chunk's length if known, else -1 (taken from the blocks)
     * @param wanted      only this version counts (catch-up of one log record), or empty for the newest
     */
    public StripeAssembly(int dataBlocks, int parityBlocks, int chunkLength, Optional<Version> wanted) {
        this.dataBlocks = dataBlocks;
        this.parityBlocks = parityBlocks;
        this.chunkLength = chunkLength;
        this.wanted = Objects.requireNonNull(wanted, "wanted");
        this.answers = new Answer[dataBlocks + parityBlocks];
    }

    public int totalBlocks() {
        return answers.length;
    }

    /** Whether slot {@code i} has answered (with anything). */
    public boolean answered(int slot) {
        return answers[slot] != null;
    }

    /**
     * Records a holder's answer. A block whose stamp does not match its slot or the stripe's
     * shape, or whose length is wrong, is recorded as {@link Answer.Damaged}.
     */
    public void add(Answer answer) {
        int slot = answer.slot();
        if (slot < 0 || slot >= answers.length) {
            throw new IllegalArgumentException("slot " + slot + " is outside a stripe of " + answers.length);
        }
        if (answer instanceof Answer.Block b) {
            String bad = check(b);
            if (bad != null) {
                answer = new Answer.Damaged(slot, Optional.of(b.version()), bad);
            }
        }
        answers[slot] = answer;
    }

    private String check(Answer.Block b) {
        BlockStamp s = b.stamp();
        if (s.dataBlocks() != dataBlocks || s.parityBlocks() != parityBlocks) {
            return "stripe shape " + s.dataBlocks() + "+" + s.parityBlocks() + ", expected " + dataBlocks + "+" + parityBlocks;
        }
        if (chunkLength >= 0 && s.chunkLength() != chunkLength) {
            return "chunk length " + s.chunkLength() + ", expected " + chunkLength;
        }
        if (b.data().remaining() != s.layout().blockLength()) {
            return "block of " + b.data().remaining() + " bytes, expected " + s.layout().blockLength();
        }
        return null;
    }

    /**
     * Whether the holders of slots {@code first..last} answered with data blocks {@code first..last}
     * themselves, all of one version (no decoding needed).
     */
    public Optional<Version> dataBlocksAgree(int first, int last) {
        Version v = null;
        for (int i = first; i <= last; i++) {
            if (!(answers[i] instanceof Answer.Block b) || b.stamp().index() != i || (v != null && !v.equals(b.version()))
                    || wanted.filter(w -> !w.equals(b.version())).isPresent()) {
                return Optional.empty();
            }
            v = b.version();
        }
        return Optional.ofNullable(v);
    }

    /** The block answer of a slot, if it answered with a usable block. */
    public Optional<Answer.Block> block(int slot) {
        return answers[slot] instanceof Answer.Block b ? Optional.of(b) : Optional.empty();
    }

    /** Decides from the answers so far; slots that have not answered count as unreachable. */
    public Outcome outcome() {
        Map<Version, List<Answer.Block>> byVersion = new HashMap<>();
        Version newestTombstone = null;
        int absent = 0;
        int unknown = 0;
        for (int i = 0; i < answers.length; i++) {
            Answer a = answers[i];
            switch (a) {
                case null -> unknown++;
                case Answer.Unreachable u -> unknown++;
                case Answer.Absent x -> absent++;
                case Answer.Damaged d -> { }
                case Answer.Tombstone t -> {
                    if (newestTombstone == null || t.version().isAfter(newestTombstone)) {
                        newestTombstone = t.version();
                    }
                }
                case Answer.Block b -> {
                    if (wanted.isEmpty() || wanted.get().equals(b.version())) {
                        byVersion.computeIfAbsent(b.version(), v -> new ArrayList<>()).add(b);
                    }
                }
            }
        }
        Version best = null;
        for (Map.Entry<Version, List<Answer.Block>> e : byVersion.entrySet()) {
            if (agreeing(e.getValue()).size() >= dataBlocks && (best == null || e.getKey().isAfter(best))) {
                best = e.getKey();
            }
        }
        if (newestTombstone != null && (best == null || newestTombstone.isAfter(best)) && wanted.isEmpty()) {
            return new Outcome.NotFound("deleted at " + newestTombstone);
        }
        if (best == null) {
            int found = byVersion.values().stream().mapToInt(l -> agreeing(l).size()).max().orElse(0);
            if (found == 0 && absent + unknown == answers.length && unknown == 0) {
                return new Outcome.NotFound("no holder has the key");
            }
            String why = "found " + found + " agreeing blocks of " + dataBlocks + " needed; " + unknown + " holders did not answer";
            return found + unknown >= dataBlocks ? new Outcome.Unavailable(why) : new Outcome.Torn(why);
        }
        List<Answer.Block> blocks = agreeing(byVersion.get(best));
        ByteBuffer[] out = new ByteBuffer[answers.length];
        boolean[] present = new boolean[answers.length];
        for (Answer.Block b : blocks) {
            out[b.stamp().index()] = b.data();
            present[b.stamp().index()] = true;
        }
        List<Integer> damaged = new ArrayList<>();
        for (int i = 0; i < answers.length; i++) {
            final Version v = best;
            if (answers[i] instanceof Answer.Damaged d && d.version().map(v::equals).orElse(true)) {
                damaged.add(i);
            }
        }
        Answer.Block first = blocks.getFirst();
        return new Outcome.Complete(best, first.stamp(), first.innerMeta(), out, present, List.copyOf(damaged));
    }

    /**
     * The blocks of one version that agree with the most common stamp among them, one per block
     * index (two holders may hold the same index after placement moved).
     */
    private static List<Answer.Block> agreeing(List<Answer.Block> blocks) {
        List<Answer.Block> bestGroup = List.of();
        for (Answer.Block candidate : blocks) {
            Map<Integer, Answer.Block> byIndex = new java.util.TreeMap<>();
            for (Answer.Block b : blocks) {
                if (b.stamp().sameStripe(candidate.stamp())) {
                    byIndex.putIfAbsent(b.stamp().index(), b);
                }
            }
            if (byIndex.size() > bestGroup.size()) {
                bestGroup = List.copyOf(byIndex.values());
            }
        }
        return bestGroup;
    }
}
