package io.cairn.server.backup;

import io.cairn.core.partition.PartitionId;
import io.cairn.meta.BackupMark;
import io.cairn.node.ClusterException;
import io.cairn.node.Records;
import io.cairn.node.rpc.Record;
import io.cairn.node.rpc.RecordCodec;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A backup site's records as its gateway serves them: each key as its newest state in a round at
 * most the one the site shows ({@link BackupMark#shownRound}), kept by {@link BackupSite} under
 * {@code K\0ROUND}; a key whose state there is a tombstone, or that has none, is not there. So a
 * reader sees the primary site as it was at one cut, every key of it. Writes are refused until the
 * site is promoted; from then on a key's own record wins over its states, and once the promoted
 * site is settled (no state kept: {@link BackupSite#settle}) every call goes straight to the
 * partitions' own records.
 */
public final class BackupView implements Records {

    /** Past every key under a common prefix: the largest code point. */
    private static final String PAST = "\udbff\udfff";
    /** Past every state of one key: after its 16 hex digits. */
    private static final String PAST_STATES = "\u0000g";
    private static final int RAW_PAGE = 512;

    private final Records client;
    private final Supplier<BackupMark> mark;
    private final int rawPage;

    /**
     * @param client the partitions' own records
     * @param mark   the backup site's mark as the meta service last said it (kept fresh by the caller)
     */
    public BackupView(Records client, Supplier<BackupMark> mark) {
        this(client, mark, RAW_PAGE);
    }

    /** @param rawPage records read per scan of the kept states */
    BackupView(Records client, Supplier<BackupMark> mark, int rawPage) {
        this.client = client;
        this.mark = mark;
        this.rawPage = rawPage;
    }

    /** This view kept at the mark the site shows now: a listing reads every shard at one round. */
    @Override
    public Records pinned() {
        BackupMark now = mark.get();
        return new BackupView(client, () -> now, rawPage);
    }

    private static ClusterException readOnly() {
        return new ClusterException(ClusterException.Kind.READ_ONLY,
                "this cluster is a backup site: it shows its primary site as of a consistent cut, and takes writes only once promoted "
                        + "(cairn admin replicate promote)");
    }

    @Override
    public Optional<Record> get(PartitionId p, String key, boolean withBlob) {
        BackupMark m = mark.get();
        if (m.settled()) {
            return client.get(p, key, withBlob);
        }
        if (m.promoted()) {
            Optional<Record> own = client.get(p, key, withBlob);
            if (own.isPresent()) {
                return own;
            }
        }
        for (int attempt = 0; ; attempt++) {
            Optional<Record> state = newestState(p, key, m.shownRound());
            if (state.isEmpty() || !withBlob) {
                return state.map(BackupView::asKey);
            }
            Optional<Record> whole = client.get(p, state.get().getKey(), true).filter(r -> !r.getTombstone());
            if (whole.isPresent()) {
                return whole.map(BackupView::asKey);
            }
            // A newer round came into view and the state read was dropped: read again, at the round shown now.
            if (attempt == 3) {
                throw new ClusterException(ClusterException.Kind.UNAVAILABLE,
                        "the backup site's state of " + key + " was dropped as it was read, " + (attempt + 1) + " times");
            }
            m = mark.get();
        }
    }

    @Override
    public Optional<Record> getImmutable(PartitionId p, String key, int spread) {
        return getImmutable(p, key, spread, false);
    }

    @Override
    public Optional<Record> getImmutable(PartitionId p, String key, int spread, boolean search) {
        BackupMark m = mark.get();
        if (m.settled()) {
            return client.getImmutable(p, key, spread, search);
        }
        if (m.promoted()) {
            // A chunk of the round shown has no own record: not searched for, its state is read next.
            Optional<Record> own = client.getImmutable(p, key, spread, false);
            if (own.isPresent()) {
                return own;
            }
        }
        return get(p, key, true);
    }

    /** The kept state of {@code key} the backup shows in {@code round} (the raw record, under its state key), if not a tombstone. */
    private Optional<Record> newestState(PartitionId p, String key, long round) {
        return BackupSite.newestState(client, p, key, round, rawPage).filter(k -> !k.state().tombstone())
                .map(BackupSite.StateRecord::record);
    }

    /** A kept state as the record of its key: the key, the version and the meta it had at the primary site. */
    static Record asKey(Record state) {
        BackupSite.State st = BackupSite.State.of(state).orElseThrow(
                () -> new IllegalStateException("not a kept state: " + state.getKey().replace('\u0000', '@')));
        return state.toBuilder().setKey(st.key()).setVersion(RecordCodec.version(st.version()))
                .setMeta(com.google.protobuf.ByteString.copyFrom(st.meta())).setTombstone(false).build();
    }

    @Override
    public List<Record> scan(PartitionId p, String prefix, String afterKey, int limit, String delimiter) {
        BackupMark m = mark.get();
        if (m.settled()) {
            return client.scan(p, prefix, afterKey, limit, delimiter);
        }
        long round = m.shownRound();
        List<Record> out = new ArrayList<>();
        String cursor = afterKey.isEmpty() ? "" : afterKey + PAST_STATES;
        String lastCommon = null;
        Group g = new Group();
        boolean end = false;
        while (out.size() < limit && !end) {
            List<Record> page = client.scan(p, prefix, cursor, rawPage);
            end = page.size() < rawPage;
            String skipTo = null;
            for (int i = 0; i <= page.size() && out.size() < limit; i++) {
                boolean last = i == page.size();
                if (last && !end) {
                    break; // the key being gathered may go on in the next page
                }
                Record r = last ? null : page.get(i);
                Optional<BackupSite.State> st = r == null ? Optional.empty() : BackupSite.State.of(r);
                String key = r == null ? null : st.map(BackupSite.State::key).orElse(r.getKey());
                if (r == null || !key.equals(g.key)) {
                    Record shown = g.shown();
                    if (shown != null) {
                        String common = commonPrefix(prefix, g.key, delimiter);
                        if (common == null) {
                            out.add(shown);
                        } else if (!common.equals(lastCommon)) {
                            out.add(shown);
                            lastCommon = common;
                            skipTo = common + PAST;
                            break;
                        }
                    }
                    g = new Group();
                    g.key = key;
                }
                if (r != null) {
                    g.take(r, st, round);
                }
            }
            if (skipTo != null) {
                cursor = skipTo;
                end = false;
                g = new Group();
            } else if (!page.isEmpty()) {
                cursor = page.getLast().getKey();
            }
        }
        return out;
    }

    /**
     * One key's records in a scan: its own record, written once the site was promoted (it comes
     * first, and wins: a key deleted since has no kept state left either), and its kept states.
     */
    private static final class Group {
        String key;
        Record own;
        Record best;
        long bestRound = -1;
        boolean bestTombstone;

        void take(Record r, Optional<BackupSite.State> st, long round) {
            if (st.isEmpty()) {
                own = r;
            } else if (st.get().round() <= round && st.get().round() > bestRound) {
                best = r;
                bestRound = st.get().round();
                bestTombstone = st.get().tombstone();
            }
        }

        /** The record the key shows, or null. */
        Record shown() {
            if (own != null) {
                return own.getTombstone() ? null : own;
            }
            return best == null || bestTombstone ? null : asKey(best).toBuilder().clearBlob().build();
        }
    }

    /** Deletes every kept state of {@code key}: the key was deleted on the promoted site, and no state of it may show again. */
    private void dropStates(PartitionId p, String key) {
        BackupSite.eachRecord(client, p, key + '\u0000', rawPage, r -> BackupSite.State.of(r).filter(st -> st.key().equals(key))
                .ifPresent(st -> client.apply(p, r.getKey(), true, new byte[0], null)));
    }

    /** The common prefix {@code key} rolls up to under {@code prefix} with {@code delimiter}, or null. */
    private static String commonPrefix(String prefix, String key, String delimiter) {
        if (delimiter == null || delimiter.isEmpty()) {
            return null;
        }
        int at = key.indexOf(delimiter, prefix.length());
        return at < 0 ? null : key.substring(0, at + delimiter.length());
    }

    /**
     * A write on the promoted site: the key's own record from now on. The key's kept states go once
     * it has one (it wins over them, and no reader needs them), and on a delete, so that no state
     * shows again. When the key had no own record yet, the state it showed is what this returns as
     * superseded, so that the caller frees what it referenced (an object's chunks), as it does on
     * any overwrite or delete.
     */
    @Override
    public Optional<Record> apply(PartitionId p, String key, boolean tombstone, byte[] meta, ByteBuffer blob) {
        BackupMark m = mark.get();
        if (!m.promoted()) {
            throw readOnly();
        }
        if (m.settled()) {
            return client.apply(p, key, tombstone, meta, blob);
        }
        boolean ownBefore = client.get(p, key, false).isPresent();
        Optional<Record> shownBefore = ownBefore ? Optional.empty()
                : newestState(p, key, m.shownRound()).map(s -> asKey(s).toBuilder().clearBlob().build());
        Optional<Record> previous = client.apply(p, key, tombstone, meta, blob);
        if (tombstone || !ownBefore) {
            dropStates(p, key);
        }
        return previous.isPresent() ? previous : shownBefore;
    }

    @Override
    public boolean applyIfStill(PartitionId p, String key, io.cairn.node.rpc.Version current, byte[] meta, ByteBuffer blob) {
        BackupMark m = mark.get();
        if (!m.promoted()) {
            throw readOnly();
        }
        if (m.settled()) {
            return client.applyIfStill(p, key, current, meta, blob);
        }
        boolean ownBefore = client.get(p, key, false).isPresent();
        if (!client.applyIfStill(p, key, current, meta, blob)) {
            return false;
        }
        if (!ownBefore) {
            dropStates(p, key);
        }
        return true;
    }

    @Override
    public boolean deleteIfStill(PartitionId p, String key, io.cairn.node.rpc.Version current) {
        BackupMark m = mark.get();
        if (!m.promoted()) {
            throw readOnly();
        }
        if (m.settled()) {
            return client.deleteIfStill(p, key, current);
        }
        if (!client.deleteIfStill(p, key, current)) {
            return false;
        }
        dropStates(p, key);
        return true;
    }
}
