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
 *              {@code shownRound}); {@link #SETTLED} once every key's state in {@code shownRound}
 *              was written as its own record and every kept state dropped (it holds nothing a
 *              backup site's reads need: its nodes may run as a primary site's, and ship to a
 *              backup site of their own)
 */
public record BackupMark(long shownRound, long shownAtMillis, String stage) {

    public static final String SHIPPING = "shipping";
    public static final String PROMOTING = "promoting";
    public static final String PROMOTED = "promoted";
    public static final String SETTLED = "settled";
    public static final BackupMark NONE = new BackupMark(0, 0, SHIPPING);

    public BackupMark {
        if (shownRound < 0) {
            throw new IllegalArgumentException("a shown round is never negative: " + shownRound);
        }
        if (!SHIPPING.equals(stage) && !PROMOTING.equals(stage) && !PROMOTED.equals(stage) && !SETTLED.equals(stage)) {
            throw new IllegalArgumentException("a backup site is shipping, promoting, promoted or settled, not " + stage);
        }
    }

    /** Whether the backup takes shipped rounds: not once it is being promoted. */
    public boolean shipping() {
        return SHIPPING.equals(stage);
    }

    /** Whether it is a cluster of its own now, open for writes (settled or not). */
    public boolean promoted() {
        return PROMOTED.equals(stage) || SETTLED.equals(stage);
    }

    /** Whether it is promoted and keeps no state any more: every key is its own record. */
    public boolean settled() {
        return SETTLED.equals(stage);
    }

    /** Whether this cluster's nodes must run as a backup site's ({@code backup_site: true}): it took rounds and is not settled. */
    public boolean needsBackupNodes() {
        return !settled() && !equals(NONE);
    }
}
