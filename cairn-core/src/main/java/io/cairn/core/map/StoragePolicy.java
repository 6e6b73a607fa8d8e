package io.cairn.core.map;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a pool protects data: {@code repN} keeps N full copies; {@code ecK+M} splits each chunk
 * into K data and M parity blocks.
 */
public record StoragePolicy(Kind kind, int copies, int dataBlocks, int parityBlocks) {

    public enum Kind { REPLICATED, ERASURE_CODED }

    public static final int COPIES_MAX = 8;
    public static final int DATA_BLOCKS_MAX = 32;
    public static final int PARITY_BLOCKS_MAX = 16;

    private static final Pattern REP = Pattern.compile("rep([0-9]+)");
    private static final Pattern EC = Pattern.compile("ec([0-9]+)\\+([0-9]+)");

    public StoragePolicy {
        switch (kind) {
            case REPLICATED -> {
                if (copies < 1 || copies > COPIES_MAX) {
                    throw new IllegalArgumentException("copies must be 1.." + COPIES_MAX + ": " + copies);
                }
            }
            case ERASURE_CODED -> {
                if (dataBlocks < 1 || dataBlocks > DATA_BLOCKS_MAX || parityBlocks < 1 || parityBlocks > PARITY_BLOCKS_MAX) {
                    throw new IllegalArgumentException("erasure coding needs 1<=k<=" + DATA_BLOCKS_MAX
                            + " and 1<=m<=" + PARITY_BLOCKS_MAX + ": k=" + dataBlocks + " m=" + parityBlocks);
                }
            }
        }
    }

    public static StoragePolicy replicated(int copies) {
        return new StoragePolicy(Kind.REPLICATED, copies, 0, 0);
    }

    public static StoragePolicy erasureCoded(int k, int m) {
        return new StoragePolicy(Kind.ERASURE_CODED, 0, k, m);
    }

    /** Parses {@code rep3} or {@code ec4+2}; throws {@link IllegalArgumentException} naming the input. */
    @JsonCreator
    public static StoragePolicy parse(String text) {
        String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        Matcher rep = REP.matcher(s);
        if (rep.matches()) {
            return replicated(Integer.parseInt(rep.group(1)));
        }
        Matcher ec = EC.matcher(s);
        if (ec.matches()) {
            return erasureCoded(Integer.parseInt(ec.group(1)), Integer.parseInt(ec.group(2)));
        }
        throw new IllegalArgumentException("unknown storage policy '" + text + "' (expected repN or ecK+M, e.g. rep3, ec4+2)");
    }

    /** Number of nodes a partition of this policy wants: copies, or k+m. */
    public int width() {
        return kind == Kind.REPLICATED ? copies : dataBlocks + parityBlocks;
    }

    @JsonValue
    @Override
    public String toString() {
        return kind == Kind.REPLICATED ? "rep" + copies : "ec" + dataBlocks + "+" + parityBlocks;
    }
}
