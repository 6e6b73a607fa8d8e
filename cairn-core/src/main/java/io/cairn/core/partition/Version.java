package io.cairn.core.partition;

/**
 * The sequencing indicator of a mutation: the map epoch its primary served in and the
 * partition-wide sequence number it assigned. Versions order first by epoch, then by seq.
 */
public record Version(long epoch, long seq) implements Comparable<Version> {

    public static final Version ZERO = new Version(0, 0);

    public Version {
        if (epoch < 0 || seq < 0) {
            throw new IllegalArgumentException("version parts must be >= 0: " + epoch + "/" + seq);
        }
    }

    @Override
    public int compareTo(Version o) {
        int c = Long.compare(epoch, o.epoch);
        return c != 0 ? c : Long.compare(seq, o.seq);
    }

    public boolean isAfter(Version o) {
        return compareTo(o) > 0;
    }

    @Override
    public String toString() {
        return epoch + "." + seq;
    }
}
