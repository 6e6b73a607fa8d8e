package io.cairn.meta;

/**
 * This cluster as a backup site, in the meta service's state: the newest round of the primary
 * site's consistent cuts that every partition has shipped whole ({@code shownRound}, the one its
 * readers see, and when it was first shown here), and how far a promotion has come.
 *
 * @param stage {@link #SHIPPING} while it takes rounds; {@link #PROMOTING} once an operator
 *              promoted it (it takes no more rounds; {@code shownRound} is final); {@link #PROMOTED}
 *              once that is recorded too (it is a cluster of its own, open for writes: a key written
 *              there gets its own record, and the others are read from their states in
 *              {@code shownRound})
 */
public record BackupMark(long shownRound, long shownAtMillis, String stage) {

    public static final String SHIPPING = "shipping";
    public static final String PROMOTING = "promoting";
    public static final String PROMOTED = "promoted";
    public static final BackupMark NONE = new BackupMark(0, 0, SHIPPING);

    public BackupMark {
        if (shownRound < 0) {
            throw new IllegalArgumentException("a shown round is never negative: " + shownRound);
        }
        if (!SHIPPING.equals(stage) && !PROMOTING.equals(stage) && !PROMOTED.equals(stage)) {
            throw new IllegalArgumentException("a backup site is shipping, promoting or promoted, not " + stage);
        }
    }

    /** Whether the backup takes shipped rounds: not once it is being promoted. */
    public boolean shipping() {
        return SHIPPING.equals(stage);
    }

    /** Whether it is a cluster of its own now, open for writes. */
    public boolean promoted() {
        return PROMOTED.equals(stage);
    }
}
