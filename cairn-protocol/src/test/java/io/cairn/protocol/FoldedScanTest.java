package io.cairn.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.core.store.StoreStats;
import io.cairn.core.store.StoreView;
import io.cairn.core.store.StoredRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class FoldedScanTest {

    private static final PartitionId P = new PartitionId("data", 3);

    /** Keys in the store's order (UTF-8 bytes), counting what each scan reads. */
    private static final class Keys implements StoreView {
        final TreeMap<String, StoredRecord> records = new TreeMap<>((a, b) ->
                Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8)));
        int scans;
        int read;

        void put(String key, boolean tombstone) {
            records.put(key, new StoredRecord(key, new Version(1, records.size() + 1), tombstone, new byte[0], 0, 0));
        }

        @Override
        public List<StoredRecord> scan(PartitionId p, String prefix, String afterKey, int limit, boolean includeTombstones) {
            scans++;
            List<StoredRecord> out = new ArrayList<>();
            for (StoredRecord r : (afterKey.isEmpty() ? records : records.tailMap(afterKey, false)).values()) {
                if (out.size() == limit) {
                    break;
                }
                if (records.comparator().compare(r.key(), prefix) < 0) {
                    continue;
                }
                if (!r.key().startsWith(prefix)) {
                    break;
                }
                if (!r.tombstone() || includeTombstones) {
                    out.add(r);
                }
            }
            read += out.size();
            return out;
        }

        @Override public Optional<StoredRecord> get(PartitionId p, String key) { throw new UnsupportedOperationException(); }
        @Override public List<StoredRecord> since(PartitionId p, Version after, int limit) { throw new UnsupportedOperationException(); }
        @Override public Version lastVersion(PartitionId p) { throw new UnsupportedOperationException(); }
        @Override public List<StoredRecord> underProtected(PartitionId p, Version after, int limit) { throw new UnsupportedOperationException(); }
        @Override public long underProtectedMarks(PartitionId p) { throw new UnsupportedOperationException(); }
        @Override public Set<PartitionId> partitions() { throw new UnsupportedOperationException(); }
        @Override public Optional<byte[]> getLocal(String key) { throw new UnsupportedOperationException(); }
        @Override public StoreStats stats() { throw new UnsupportedOperationException(); }
    }

    /** What a folded scan must return: every live key after {@code after} under {@code prefix}, each folder as its first key. */
    private static List<String> expected(Keys keys, String prefix, String after, int limit, String delimiter) {
        List<String> out = new ArrayList<>();
        String lastFolder = null;
        for (StoredRecord r : (after.isEmpty() ? keys.records : keys.records.tailMap(after, false)).values()) {
            if (out.size() == limit) {
                break;
            }
            if (r.tombstone() || !r.key().startsWith(prefix)) {
                continue;
            }
            int at = r.key().indexOf(delimiter, prefix.length());
            String folder = at < 0 ? null : r.key().substring(0, at + delimiter.length());
            if (folder == null) {
                out.add(r.key());
            } else if (!folder.equals(lastFolder)) {
                out.add(r.key());
                lastFolder = folder;
            }
        }
        return out;
    }

    @Test
    void returns_every_plain_key_and_the_first_key_of_each_folder_from_any_start() {
        long seed = Long.getLong("cairn.seed", System.nanoTime());
        System.out.println("FoldedScanTest seed " + seed + " (reproduce: ./mvnw -pl cairn-protocol test -Dtest=FoldedScanTest -Dcairn.seed=" + seed + ")");
        Random random = new Random(seed);
        String[] alphabet = {"a", "b", "/", "é", "\uD83D\uDE00", "-"};
        for (int round = 0; round < 300; round++) {
            Keys keys = new Keys();
            int n = random.nextInt(200);
            for (int i = 0; i < n; i++) {
                StringBuilder k = new StringBuilder("i/b.1/");
                for (int len = 1 + random.nextInt(7); len > 0; len--) {
                    k.append(alphabet[random.nextInt(alphabet.length)]);
                }
                keys.put(k.toString(), random.nextInt(8) == 0);
            }
            String prefix = "i/b.1/" + List.of("", "a", "a/", "b/", "é").get(random.nextInt(5));
            String delimiter = List.of("/", "/", "ab", "é").get(random.nextInt(4));
            List<String> all = new ArrayList<>(keys.records.keySet());
            String after = random.nextBoolean() || all.isEmpty() ? "" : all.get(random.nextInt(all.size()));
            if (!after.isEmpty() && random.nextBoolean()) {
                after = after + FoldedScan.pastEvery("").substring(0, 2); // past a key (a cursor after a folder)
            }
            int limit = 1 + random.nextInt(40);
            List<String> got = FoldedScan.scan(keys, P, prefix, after, limit, delimiter).stream().map(StoredRecord::key).toList();
            assertThat(got).as("seed %d round %d: prefix %s after %s limit %d delimiter %s", seed, round, prefix, after, limit, delimiter)
                    .isEqualTo(expected(keys, prefix, after, limit, delimiter));
            assertThat(keys.scans).as("store reads").isLessThanOrEqualTo(got.size() + 1);
        }
    }

    @Test
    void a_folder_costs_a_few_records_however_many_keys_it_holds() {
        Keys keys = new Keys();
        for (int f = 0; f < 50; f++) {
            for (int i = 0; i < 400; i++) {
                keys.put(String.format("i/b.1/dir%02d/key%04d", f, i), false);
            }
        }
        for (int i = 0; i < 30; i++) {
            keys.put(String.format("i/b.1/top%02d", i), false);
        }
        List<StoredRecord> got = FoldedScan.scan(keys, P, "i/b.1/", "", 1000, "/");
        assertThat(got).hasSize(80);
        assertThat(got.getFirst().key()).isEqualTo("i/b.1/dir00/key0000");
        assertThat(got.get(49).key()).isEqualTo("i/b.1/dir49/key0000");
        assertThat(got.get(50).key()).isEqualTo("i/b.1/top00");
        assertThat(keys.read).as("records read for 50 folders of 400 keys and 30 plain keys").isLessThanOrEqualTo(50 * 4 + 2 * 30 + 8);

        keys.read = 0;
        List<StoredRecord> page = FoldedScan.scan(keys, P, "i/b.1/", "i/b.1/dir09/" + FoldedScan.pastEvery("").substring(0, 2), 5, "/");
        assertThat(page).extracting(StoredRecord::key)
                .containsExactly("i/b.1/dir10/key0000", "i/b.1/dir11/key0000", "i/b.1/dir12/key0000", "i/b.1/dir13/key0000", "i/b.1/dir14/key0000");
        assertThat(keys.read).isLessThanOrEqualTo(5 * 4);
    }
}
