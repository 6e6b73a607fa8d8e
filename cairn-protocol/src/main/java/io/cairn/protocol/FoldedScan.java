package io.cairn.protocol;

import io.cairn.core.partition.PartitionId;
import io.cairn.core.store.StoreLimits;
import io.cairn.core.store.StoreView;
import io.cairn.core.store.StoredRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A scan by folders: keys that share a common prefix (the scan's prefix, then everything up to
 * and including the first delimiter after it) come back as one record, the first under it, and
 * the scan reads on after every key under it. A listing with {@code delimiter=/} over a bucket
 * with many keys per folder then reads about one record per folder, not every key.
 */
final class FoldedScan {

    /** The largest code point: a bound past every key that starts with a given prefix. */
    private static final String LAST_CHAR = "\uDBFF\uDFFF";
    /** Records read after a fold: few, since the next folder may start at once; doubled while keys come unfolded. */
    private static final int PAGE_AFTER_FOLD = 4;

    private FoldedScan() {
    }

    /**
     * Up to {@code limit} records after {@code afterKey} under {@code prefix}, each folder as its
     * first record. Every store read gives at least one record or ends the scan, so it reads the
     * store at most {@code limit + 1} times.
     */
    static List<StoredRecord> scan(StoreView store, PartitionId p, String prefix, String afterKey, int limit, String delimiter) {
        List<StoredRecord> out = new ArrayList<>(Math.min(limit, 1024));
        String after = afterKey;
        String folded = null; // a scan that starts inside a folder still returns it (S3 lists it after a start-after inside it)
        int page = Math.min(limit, PAGE_AFTER_FOLD);
        while (out.size() < limit) {
            List<StoredRecord> read = store.scan(p, prefix, after, page, false);
            boolean foldedNow = false;
            for (StoredRecord rec : read) {
                String key = rec.key();
                after = key;
                String folder = folder(prefix, key, delimiter);
                if (folder == null) {
                    out.add(rec);
                } else if (!folder.equals(folded)) {
                    out.add(rec);
                    folded = folder;
                    after = pastEvery(folder);
                    foldedNow = true;
                } else {
                    after = pastEvery(folder); // a key beyond the bound (it holds the largest code point): same folder
                    foldedNow = true;
                }
                if (foldedNow || out.size() == limit) {
                    break;
                }
            }
            if (!foldedNow && read.size() < page) {
                break; // the end of the range
            }
            int left = limit - out.size();
            page = Math.min(left, foldedNow ? PAGE_AFTER_FOLD : page * 2);
        }
        return out;
    }

    /** The folder of {@code key} (prefix, then up to and including the first delimiter after it), or null. */
    static String folder(String prefix, String key, String delimiter) {
        if (!key.startsWith(prefix)) {
            return null;
        }
        int at = key.indexOf(delimiter, prefix.length());
        return at < 0 ? null : key.substring(0, at + delimiter.length());
    }

    /** A bound after every key that starts with {@code folder}, within the store's key length. */
    static String pastEvery(String folder) {
        int room = (StoreLimits.KEY_BYTES_MAX - folder.getBytes(StandardCharsets.UTF_8).length) / 4;
        return folder + LAST_CHAR.repeat(Math.max(1, Math.min(256, room)));
    }
}
