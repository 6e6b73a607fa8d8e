package io.cairn.node.replication;

import io.cairn.core.map.PoolInfo;
import io.cairn.core.map.StoragePolicy;
import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.core.placement.PartitionPlacement;
import io.cairn.node.MapView;
import io.cairn.node.PeerChannels;
import io.cairn.node.erasure.BlockStamp;
import io.cairn.node.erasure.StripeCoder;
import io.cairn.node.erasure.StripeReader;
import io.cairn.node.rpc.ApplyReply;
import io.cairn.node.rpc.ApplyRequest;
import io.cairn.node.rpc.GetReply;
import io.cairn.node.rpc.PingReply;
import io.cairn.node.rpc.PingRequest;
import io.cairn.node.rpc.GetRequest;
import io.cairn.node.rpc.HandOverReply;
import io.cairn.node.rpc.HandOverRequest;
import io.cairn.node.rpc.MirrorReply;
import io.cairn.node.rpc.MirrorRequest;
import io.cairn.node.rpc.Record;
import io.cairn.node.rpc.RecordCodec;
import io.cairn.node.rpc.RepairReply;
import io.cairn.node.rpc.RepairRequest;
import io.cairn.node.rpc.ScanReply;
import io.cairn.node.rpc.ScanRequest;
import io.cairn.node.rpc.SinceReply;
import io.cairn.node.rpc.SinceRequest;
import io.cairn.node.rpc.Status;
import io.cairn.store.ApplyOutcome;
import io.cairn.store.BlobRead;
import io.cairn.store.Mutation;
import io.cairn.store.PartitionStore;
import io.cairn.store.StoreFullException;
import io.cairn.store.StoredRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@link PartitionStateMachine} of every partition this node holds on the real store
 * and network: sequences and mirrors writes as primary, applies mirrors as replica, peers at
 * epoch changes, catches up from the primary's log, and repairs corrupt copies from peers.
 */
public final class PartitionDriver implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PartitionDriver.class);

    /** Records per page of a log pull. */
    public static final int LOG_PAGE_RECORDS_MAX = 512;
    /** Records per scan reply. */
    public static final int SCAN_RECORDS_MAX = 1000;
    /** Forwarding hops a request may take before it is refused. */
    public static final int HOPS_MAX = 2;
    /**
     * Partitions that may pull logs and data from peers at once (peering and catch-up): a node
     * that returns after a while holds many partitions, and each pull holds a blob (or the
     * blocks of a stripe) in memory.
     */
    public static final int RECOVERY_PULLS_IN_FLIGHT_MAX = 4;

    private static final class Slot {
        final ReentrantLock lock = new ReentrantLock();
        final PartitionStateMachine machine;

        Slot(PartitionStateMachine machine) {
            this.machine = machine;
        }
    }

    private final String self;
    private final PartitionStore store;
    private final MapView mapView;
    private final PeerChannels peers;
    private final StripeReader stripes;
    private final RecoveryGate recoveryPulls = new RecoveryGate(RECOVERY_PULLS_IN_FLIGHT_MAX);
    /** Bytes per second pulled from peers for catch-up and backfill, so clients keep their share. */
    private final RecoveryThrottle recoveryBytes;
    private final java.util.concurrent.atomic.AtomicLong recoveryBytesPulled = new java.util.concurrent.atomic.AtomicLong();

    /** Blob bytes this node has pulled from peers (or read to rebuild blocks) for catch-up and backfill since start. */
    public long recoveryBytesPulled() {
        return recoveryBytesPulled.get();
    }
    private final Map<PartitionId, Slot> slots = new ConcurrentHashMap<>();
    private final int minCopies;
    private final ExecutorService workers = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("partition-worker-", 0).factory());
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("partition-ticker").daemon().factory());

    private final Scrubber scrubber;

    /** The scrub of this node's copies (rate 0: none). */
    public Scrubber scrubber() {
        return scrubber;
    }

    public PartitionDriver(String self, PartitionStore store, MapView mapView, PeerChannels peers, StripeReader stripes,
                           long tickIntervalMillis, long recoveryBytesPerSecond) {
        this(self, store, mapView, peers, stripes, tickIntervalMillis, recoveryBytesPerSecond, 0, 0, 1);
    }

    /**
     * @param scrubBytesPerSecond how fast the scrub reads this node's copies (0: no scrub)
     * @param scrubPauseMillis    pause between two scrub passes over everything
     * @param minCopies           fewest copies a write to a replicated pool must reach while holders are down
     */
    public PartitionDriver(String self, PartitionStore store, MapView mapView, PeerChannels peers, StripeReader stripes,
                           long tickIntervalMillis, long recoveryBytesPerSecond, long scrubBytesPerSecond, long scrubPauseMillis,
                           int minCopies) {
        this.self = self;
        this.minCopies = minCopies;
        this.recoveryBytes = new RecoveryThrottle(recoveryBytesPerSecond);
        this.store = store;
        this.mapView = mapView;
        this.peers = peers;
        this.stripes = stripes;
        mapView.addListener(this::onMap);
        ticker.scheduleWithFixedDelay(this::tick, tickIntervalMillis, tickIntervalMillis, TimeUnit.MILLISECONDS);
        this.scrubber = new Scrubber(self, store, new Scrubber.Holdings() {
            @Override
            public List<PartitionId> held() {
                return slots.entrySet().stream().filter(e -> e.getValue().machine.role() != PartitionStateMachine.Role.NONE)
                        .map(Map.Entry::getKey).sorted(java.util.Comparator.comparing(PartitionId::toString)).toList();
            }

            @Override
            public boolean repair(PartitionId p, StoredRecord damaged) {
                return erasureCoded(p) ? rebuildOwnBlock(p, damaged) : repairFromPeers(p, damaged).isPresent();
            }
        }, scrubBytesPerSecond, scrubPauseMillis);
    }

    /** Rewrites this node's damaged block of an erasure-coded record with one rebuilt from the other holders. */
    private boolean rebuildOwnBlock(PartitionId p, StoredRecord damaged) {
        MapView.Current current = mapView.current();
        int slot = current.placement().of(p).holders().indexOf(self);
        try {
            BlockStamp stamp = BlockStamp.parse(damaged.meta());
            if (slot < 0 || stamp.index() != slot) {
                return false; // the layout moved; catch-up re-creates this slot's block
            }
            if (stripes.rebuild(p, damaged.key(), damaged.version(), stamp, slot) instanceof StripeReader.Rebuild.Built b) {
                boolean rewritten = store.repair(p, new Mutation(damaged.key(), damaged.version(), false, b.meta(), b.block()));
                log.warn("rebuilt damaged block {} of {} {} at {} (rewritten: {})", slot, p, damaged.key(), damaged.version(), rewritten);
                return rewritten;
            }
        } catch (IOException | IllegalArgumentException e) {
            log.info("block of {} {} not rebuilt: {}", p, damaged.key(), e.toString());
        }
        return false;
    }

    // ---- map changes and periodic work ----

    /** Epoch of the last map whose changes every partition here has taken in. */
    private volatile long mapEpochApplied = -1;

    public long mapEpochApplied() {
        return mapEpochApplied;
    }

    /** Held while a map is taken in and while copies of partitions no longer held are dropped. */
    private final Object mapLock = new Object();

    private void onMap(MapView.Current current) {
        synchronized (mapLock) {
            takeIn(current);
        }
    }

    private void takeIn(MapView.Current current) {
        for (PoolInfo pool : current.map().pools()) {
            for (int i = 0; i < pool.partitions(); i++) {
                PartitionId p = new PartitionId(pool.name(), i);
                List<String> up = current.placement().of(p).upHolders(current.map());
                Slot slot = up.contains(self) || holdsUnhandedRecords(p, pool) ? slot(p) : slots.get(p);
                if (slot == null) {
                    continue;
                }
                PartitionStateMachine.Effect effect;
                slot.lock.lock();
                try {
                    effect = slot.machine.onMap(current.epoch(), up, copiesWanted(pool.policy()));
                } finally {
                    slot.lock.unlock();
                }
                dispatch(p, effect);
            }
        }
        mapEpochApplied = current.epoch();
    }

    /** Copies (replicated) or blocks (erasure-coded) a record of a pool has when every holder has it. */
    private static int copiesWanted(StoragePolicy policy) {
        return policy.kind() == StoragePolicy.Kind.ERASURE_CODED ? policy.width() : policy.copies();
    }

    private void tick() {
        try {
            for (Map.Entry<PartitionId, Slot> e : slots.entrySet()) {
                PartitionStateMachine.Effect effect;
                Slot slot = e.getValue();
                slot.lock.lock();
                try {
                    effect = slot.machine.tick();
                } finally {
                    slot.lock.unlock();
                }
                dispatch(e.getKey(), effect);
                retryPeeringIfStuck(e.getKey(), slot);
                offerHandOverIfStray(e.getKey(), slot);
            }
        } catch (RuntimeException e) {
            log.error("partition tick failed", e);
        }
    }

    private final Map<PartitionId, Long> peeringInFlight = new ConcurrentHashMap<>();

    private void retryPeeringIfStuck(PartitionId p, Slot slot) {
        PartitionStateMachine m = slot.machine;
        if (m.role() == PartitionStateMachine.Role.PRIMARY && !m.active() && !peeringInFlight.containsKey(p)) {
            dispatch(p, new PartitionStateMachine.Effect.StartPeering(m.epoch(),
                    m.upHolders().stream().filter(n -> !n.equals(self)).toList(), Version.ZERO));
        }
    }

    // ---- hand-over: records of a partition this node no longer holds ----

    private final Map<PartitionId, Boolean> handOverInFlight = new ConcurrentHashMap<>();

    /**
     * Whether this node has records of {@code p} (of a replicated pool) that no primary has
     * adopted yet. A node that held a partition while others were down may have taken writes
     * nobody else has; when placement moves the partition back, the new holders would never see
     * them. Erasure-coded pools are not handed over: a block alone does not rebuild a stripe.
     */
    private boolean holdsUnhandedRecords(PartitionId p, PoolInfo pool) {
        return pool.policy().kind() != StoragePolicy.Kind.ERASURE_CODED && store.lastVersion(p).isAfter(handedOver(p));
    }

    private Version handedOver(PartitionId p) {
        return store.getLocal(handedKey(p)).map(PartitionDriver::decodeVersion).orElse(Version.ZERO);
    }

    private static String handedKey(PartitionId p) {
        return "handed/" + p.pool() + "/" + p.partition();
    }

    private void offerHandOverIfStray(PartitionId p, Slot slot) {
        PartitionStateMachine m = slot.machine;
        if (m.role() != PartitionStateMachine.Role.NONE) {
            return; // a holder: nothing to hand over, and no need to read the marker
        }
        Version handed = handedOver(p);
        if (!RecoveryRules.offersHandOver(m, self, erasureCoded(p), handed) || handOverInFlight.putIfAbsent(p, Boolean.TRUE) != null) {
            return;
        }
        String primary = m.primary();
        workers.submit(() -> {
            try {
                HandOverReply r = peers.stub(primary).handOver(HandOverRequest.newBuilder().setEpoch(mapView.epoch())
                        .setPartition(RecordCodec.ref(p)).setHolder(self).setAfter(RecordCodec.version(handed)).build());
                mapView.ensureEpoch(r.getEpoch());
                if (r.getStatus() == Status.OK) {
                    Version upTo = RecordCodec.version(r.getUpTo());
                    store.putLocal(handedKey(p), encodeVersion(upTo));
                    if (r.getAdopted() > 0) {
                        log.warn("{}: primary {} adopted {} records this node took while it held the partition", p, primary, r.getAdopted());
                    }
                } else {
                    log.debug("hand-over of {} to {} not done: {} {}", p, primary, r.getStatus(), r.getMessage());
                }
            } catch (RuntimeException | IOException e) {
                log.debug("hand-over of {} to {} failed: {}", p, primary, e.toString());
            } finally {
                handOverInFlight.remove(p);
            }
        });
    }

    /**
     * A former holder offers its records of a partition this node is the active primary of:
     * every record newer than this node's copy of its key is written anew, with a new version
     * (so holders that are past it in the log still get it), unless a newer write to the key
     * lands first.
     */
    public HandOverReply handOver(HandOverRequest req) {
        PartitionId p = RecordCodec.partition(req.getPartition());
        MapView.Current current = mapView.ensureEpoch(req.getEpoch());
        HandOverReply.Builder out = HandOverReply.newBuilder().setEpoch(current.epoch());
        if (erasureCoded(p)) {
            return out.setStatus(Status.ERROR).setMessage("erasure-coded partitions are not handed over").build();
        }
        if (!current.placement().of(p).primary(current.map()).map(self::equals).orElse(false)) {
            return out.setStatus(Status.NOT_PRIMARY).setMessage("not the primary of " + p).build();
        }
        Slot slot = slot(p);
        slot.lock.lock();
        try {
            if (!slot.machine.active()) {
                return out.setStatus(Status.PEERING).setMessage(p + " is peering").build();
            }
        } finally {
            slot.lock.unlock();
        }
        String holder = req.getHolder();
        Version cursor = RecordCodec.version(req.getAfter());
        Version upTo = null;
        long adopted = 0;
        try {
            while (true) {
                SinceReply reply = peers.stub(holder).since(SinceRequest.newBuilder().setEpoch(current.epoch())
                        .setPartition(RecordCodec.ref(p)).setAfter(RecordCodec.version(cursor)).setLimit(LOG_PAGE_RECORDS_MAX).build());
                if (reply.getStatus() != Status.OK || reply.getUnsettled()) {
                    return out.setStatus(Status.ERROR).setMessage("log of " + holder + ": " + reply.getStatus() + " "
                            + (reply.getUnsettled() ? "writes still mirroring" : reply.getMessage())).build();
                }
                if (upTo == null) {
                    upTo = RecordCodec.version(reply.getLast());
                }
                for (Record rec : reply.getRecordsList()) {
                    Version v = RecordCodec.version(rec.getVersion());
                    cursor = v;
                    Optional<StoredRecord> local = store.get(p, rec.getKey());
                    if (local.isPresent() && !v.isAfter(local.get().version())) {
                        continue;
                    }
                    ApplyRequest.Builder write = ApplyRequest.newBuilder().setEpoch(current.epoch()).setPartition(RecordCodec.ref(p))
                            .setKey(rec.getKey()).setTombstone(rec.getTombstone()).setMeta(rec.getMeta()).setHops(HOPS_MAX)
                            .setOnlyIfBefore(rec.getVersion());
                    if (rec.getHasBlob() && !rec.getTombstone()) {
                        recoveryBytes.acquire(rec.getBlobLength());
                        recoveryBytesPulled.addAndGet(rec.getBlobLength());
                        Optional<ByteBuffer> blob = fetchBlob(p, holder, rec, v, true);
                        if (blob.isEmpty()) {
                            continue;
                        }
                        write.setHasBlob(true).setBlob(RecordCodec.bytes(blob.get())).setBlobCrc32C(rec.getBlobCrc32C());
                    }
                    ApplyReply r = apply(write.build());
                    if (r.getStatus() != Status.OK) {
                        return out.setStatus(r.getStatus()).setMessage("adopting " + rec.getKey() + ": " + r.getMessage()).build();
                    }
                    if (!r.getMessage().startsWith("kept")) {
                        adopted++;
                    }
                }
                if (!reply.getMore()) {
                    break;
                }
            }
        } catch (RuntimeException | IOException e) {
            return out.setStatus(Status.ERROR).setMessage("hand-over from " + holder + ": " + rootMessage(e)).build();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return out.setStatus(Status.ERROR).setMessage("interrupted").build();
        }
        if (adopted > 0) {
            log.warn("{}: adopted {} records from former holder {}", p, adopted, holder);
        }
        return out.setStatus(Status.OK).setUpTo(RecordCodec.version(upTo)).setAdopted(adopted).build();
    }

    private final java.util.concurrent.atomic.AtomicLong partitionsDropped = new java.util.concurrent.atomic.AtomicLong();

    /** Partitions this node stores records of without holding them in its map (copies waiting to be handed over and dropped). */
    public int partitionsStoredNotHeld() {
        MapView.Current current = mapView.current();
        int n = 0;
        for (PartitionId p : store.partitions()) {
            if (current.map().pool(p.pool()).isPresent() && !current.placement().of(p).holders().contains(self)) {
                n++;
            }
        }
        return n;
    }

    /** Copies of partitions this node no longer holds that it has dropped since start. */
    public long partitionsDropped() {
        return partitionsDropped.get();
    }

    /**
     * Drops this node's copies of partitions it no longer holds, once the cluster has settled in
     * {@code settledEpoch} (see {@code MetaState.settled}) and this node is on that map: then the
     * holders have everything, a replicated partition's records have been handed over (its
     * writes taken while this node held it are in the primary's history), and an erasure-coded
     * partition's holders have their own blocks. Returns the partitions dropped.
     */
    public int dropCopiesNoLongerHeld(long settledEpoch) {
        int dropped = 0;
        synchronized (mapLock) {
            MapView.Current current = mapView.current();
            if (current.epoch() != settledEpoch) {
                return 0;
            }
            for (PartitionId p : store.partitions()) {
                Optional<PoolInfo> pool = current.map().pool(p.pool());
                if (pool.isEmpty()) {
                    continue;
                }
                Slot slot = slots.get(p);
                boolean ec = pool.get().policy().kind() == StoragePolicy.Kind.ERASURE_CODED;
                if (!RecoveryRules.mayDrop(current.placement().of(p), self, ec, store.lastVersion(p), handedOver(p),
                        slot == null ? null : slot.machine, handOverInFlight.containsKey(p))) {
                    continue;
                }
                try {
                    long before = store.stats().usedBytes();
                    store.dropPartition(p);
                    slots.remove(p);
                    dropped++;
                    partitionsDropped.incrementAndGet();
                    log.info("dropped this node's copy of {} (no longer held; cluster settled in epoch {}): {} bytes", p, settledEpoch,
                            before - store.stats().usedBytes());
                } catch (IOException e) {
                    log.warn("could not drop the copy of {}: {}", p, e.toString());
                }
            }
        }
        return dropped;
    }

    private Slot slot(PartitionId p) {
        return slots.computeIfAbsent(p, id -> {
            Version last = store.lastVersion(id);
            Version cursor = store.getLocal(cursorKey(id)).map(PartitionDriver::decodeVersion).orElse(Version.ZERO);
            return new Slot(new PartitionStateMachine(self, last, cursor));
        });
    }

    private void dispatch(PartitionId p, PartitionStateMachine.Effect effect) {
        switch (effect) {
            case PartitionStateMachine.Effect.None none -> { }
            case PartitionStateMachine.Effect.StartPeering sp -> {
                if (peeringInFlight.putIfAbsent(p, sp.epoch()) == null) {
                    workers.submit(() -> runPeering(p, sp));
                }
            }
            case PartitionStateMachine.Effect.StartCatchUp cu -> workers.submit(() -> runCatchUp(p, cu));
        }
    }

    private void runPeering(PartitionId p, PartitionStateMachine.Effect.StartPeering sp) {
        boolean permitted = false;
        try {
            recoveryPulls.acquire(RecoveryGate.Priority.PEERING);
            permitted = true;
            Version highest = store.lastVersion(p);
            for (String source : sp.sources()) {
                PullResult r = pullLog(p, source, sp.after(), sp.epoch(), Pull.PEERING);
                if (r.highest().isAfter(highest)) {
                    highest = r.highest();
                }
            }
            Slot slot = slot(p);
            slot.lock.lock();
            try {
                slot.machine.peeringDone(sp.epoch(), highest);
                if (slot.machine.active()) {
                    persistCursor(p, slot.machine.cursor());
                }
            } finally {
                slot.lock.unlock();
            }
            log.debug("partition {} peered in epoch {} from {} up to {}", p, sp.epoch(), sp.sources(), highest);
        } catch (RuntimeException | IOException e) {
            log.debug("peering of {} in epoch {} not finished ({}); the next tick retries", p, sp.epoch(), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (permitted) {
                recoveryPulls.release();
            }
            peeringInFlight.remove(p);
        }
    }

    private void runCatchUp(PartitionId p, PartitionStateMachine.Effect.StartCatchUp cu) {
        Slot slot = slot(p);
        try {
            if (cu.after().equals(Version.ZERO)) {
                // The first catch-up in this epoch: before the rest of the log, the records the
                // primary took while holders were missing, which have the fewest copies.
                recoveryPulls.acquire(RecoveryGate.Priority.UNDER_PROTECTED);
                try {
                    pullLog(p, cu.primary(), Version.ZERO, cu.epoch(), Pull.UNDER_PROTECTED);
                } finally {
                    recoveryPulls.release();
                }
            }
            PullResult r;
            recoveryPulls.acquire(RecoveryGate.Priority.BACKFILL);
            try {
                r = pullLog(p, cu.primary(), cu.after(), cu.epoch(), Pull.CATCH_UP);
            } finally {
                recoveryPulls.release();
            }
            slot.lock.lock();
            try {
                slot.machine.catchUpDone(cu.epoch(), r.upTo());
                persistCursor(p, slot.machine.cursor());
            } finally {
                slot.lock.unlock();
            }
        } catch (RuntimeException | IOException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            log.debug("catch-up of {} from {} failed: {}", p, cu.primary(), e.toString());
            slot.lock.lock();
            try {
                slot.machine.catchUpFailed();
            } finally {
                slot.lock.unlock();
            }
        }
    }

    /** What a log pull is for. */
    private enum Pull {
        /** A new primary settling its history: waits for writes still mirroring at the source; may leave out a record with no good copy. */
        PEERING,
        /** A holder copying the primary's under-protected records ahead of the rest. */
        UNDER_PROTECTED,
        /** A holder copying the primary's log; it says how far it holds it. */
        CATCH_UP
    }

    /** @param upTo everything up to this version of the source is now held here; highest: newest version seen */
    private record PullResult(Version upTo, Version highest) {}

    /**
     * Copies every record of {@code source}'s log after {@code after} that this node lacks. With
     * {@code settled}, fails while the source still has writes on their way to their mirrors:
     * a peering primary must see them, since they may yet be acknowledged.
     */
    private PullResult pullLog(PartitionId p, String source, Version after, long epoch, Pull kind) throws IOException {
        Version cursor = after;
        Version upTo = null;
        Version highest = after;
        boolean first = true;
        while (true) {
            SinceRequest.Builder ask = SinceRequest.newBuilder()
                    .setEpoch(mapView.epoch()).setPartition(RecordCodec.ref(p))
                    .setAfter(RecordCodec.version(cursor)).setLimit(LOG_PAGE_RECORDS_MAX)
                    .setUnderProtectedOnly(kind == Pull.UNDER_PROTECTED);
            if (kind == Pull.CATCH_UP && first) {
                ask.setHolder(self).setHolderEpoch(epoch);
            }
            first = false;
            SinceReply reply = peers.stub(source).since(ask.build());
            mapView.ensureEpoch(reply.getEpoch());
            if (reply.getStatus() != Status.OK) {
                throw new IOException("log pull from " + source + ": " + reply.getStatus() + " " + reply.getMessage());
            }
            if (kind == Pull.PEERING && reply.getUnsettled()) {
                throw new IOException("log pull from " + source + ": it still has writes on their way to their mirrors");
            }
            if (reply.hasProtectedUpTo() && kind != Pull.PEERING) {
                clearUnderProtected(p, RecordCodec.version(reply.getProtectedUpTo()));
            }
            if (upTo == null) {
                upTo = RecordCodec.version(reply.getLast());
            }
            for (Record rec : reply.getRecordsList()) {
                Version v = RecordCodec.version(rec.getVersion());
                if (copyIfNewer(p, source, rec, kind == Pull.PEERING) && kind == Pull.UNDER_PROTECTED) {
                    underProtectedCopied.incrementAndGet();
                }
                cursor = v;
                if (v.isAfter(highest)) {
                    highest = v;
                }
            }
            if (!reply.getMore()) {
                break;
            }
        }
        if (upTo.isAfter(highest)) {
            highest = upTo;
        }
        return new PullResult(upTo, highest);
    }

    /** @param peering a primary settling its history: a record with no good copy anywhere is left out rather than failing the pull */
    private boolean copyIfNewer(PartitionId p, String source, Record rec, boolean peering) throws IOException {
        if (!mapView.current().placement().of(p).holders().contains(self)) {
            // A pull started under an older map (it may have waited its turn a while) must not
            // leave copies on a node that no longer holds the partition.
            throw new IOException("no longer a holder of " + p + " in epoch " + mapView.epoch() + "; pull abandoned");
        }
        Version v = RecordCodec.version(rec.getVersion());
        Optional<StoredRecord> local = store.get(p, rec.getKey());
        if (local.isPresent() && !v.isAfter(local.get().version())) {
            return false;
        }
        ByteBuffer blob = null;
        try {
            // Rebuilding an erasure-coded block reads k blocks: about the chunk's length.
            byte[] meta = rec.getMeta().toByteArray();
            long pulled = !rec.getHasBlob() || rec.getTombstone() ? 0
                    : BlockStamp.isStamped(meta) ? BlockStamp.parse(meta).chunkLength() : rec.getBlobLength();
            recoveryBytes.acquire(pulled);
            recoveryBytesPulled.addAndGet(pulled);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for recovery bandwidth");
        }
        if (rec.getHasBlob() && !rec.getTombstone() && erasureCoded(p)) {
            return copyOwnBlock(p, rec, v);
        }
        if (rec.getHasBlob() && !rec.getTombstone()) {
            Optional<ByteBuffer> fetched = fetchBlob(p, source, rec, v, peering);
            if (fetched.isEmpty()) {
                return false;
            }
            blob = fetched.get();
        }
        return applyLocal(p, RecordCodec.mutation(rec, blob)) == ApplyOutcome.APPLIED;
    }

    /**
     * The blob of a log record, from {@code source} or, when the source's copy is damaged, from
     * another holder with a good copy of the same version. Empty when the record changed at the
     * source meanwhile (the log brings the newer version). When no reachable node has a good
     * copy, a catch-up fails (and is retried: a scrub, a read or a returning holder may bring one
     * back). So does peering while a node is down but still in; once every node is up or out, a
     * peering primary ({@code leaveOut}) leaves the record out, logged, rather than refuse the
     * partition's writes for good; holders keeping the damaged copy answer reads of it with an
     * error, never with wrong bytes.
     */
    private Optional<ByteBuffer> fetchBlob(PartitionId p, String source, Record rec, Version v, boolean leaveOut) throws IOException {
        GetRequest ask = GetRequest.newBuilder().setEpoch(mapView.epoch()).setPartition(RecordCodec.ref(p)).setKey(rec.getKey())
                .setWithBlob(true).setLocalOnly(true).build();
        GetReply got = peers.stub(source).get(ask);
        if (got.getStatus() == Status.NOT_FOUND
                || got.getStatus() == Status.OK && !RecordCodec.version(got.getRecord().getVersion()).equals(v)) {
            return Optional.empty(); // superseded at the source meanwhile; the newer version comes later in the log
        }
        if (got.getStatus() == Status.OK) {
            ByteBuffer blob = got.getRecord().getBlob().asReadOnlyByteBuffer();
            if (RecordCodec.crc32c(blob) == rec.getBlobCrc32C()) {
                return Optional.of(blob);
            }
        } else if (got.getStatus() != Status.CORRUPT) {
            throw new IOException("blob " + rec.getKey() + " from " + source + ": " + got.getStatus());
        }
        MapView.Current current = mapView.current();
        for (String holder : RecoveryRules.copySources(current.map(), current.placement().of(p), self)) {
            if (holder.equals(source)) {
                continue;
            }
            try {
                GetReply other = peers.stub(holder).get(ask);
                if (other.getStatus() == Status.OK && RecordCodec.version(other.getRecord().getVersion()).equals(v)) {
                    ByteBuffer blob = other.getRecord().getBlob().asReadOnlyByteBuffer();
                    if (RecordCodec.crc32c(blob) == rec.getBlobCrc32C()) {
                        log.warn("copy of {} {} at {} on {} is damaged; copied it from {} instead", p, rec.getKey(), v, source, holder);
                        return Optional.of(blob);
                    }
                }
            } catch (RuntimeException e) {
                log.info("good copy of {} {} from {} not fetched: {}", p, rec.getKey(), holder, e.toString());
            }
        }
        // A node that is down but still in may come back with a good copy: wait for it (or for it
        // to be marked out) rather than leave the record out for good.
        if (!leaveOut || !RecoveryRules.mayLeaveOutUnrecoverable(current.map())) {
            throw new IOException("no good copy of " + rec.getKey() + " at " + v + " on any reachable node (" + source
                    + " has a damaged one) yet");
        }
        log.error("no good copy of {} {} at {} on any reachable holder ({} has a damaged one); left out of this copy",
                p, rec.getKey(), v, source);
        return Optional.empty();
    }

    /**
     * Rebuilds this node's own block of an erasure-coded log record from the other holders. A
     * stripe of which fewer than {@code k} blocks exist anywhere is a write that never completed
     * (nobody acknowledged it): it is left out, which rolls it back here. One that cannot be
     * rebuilt now but may be later fails the pull, which is retried.
     */
    private boolean copyOwnBlock(PartitionId p, Record rec, Version v) throws IOException {
        MapView.Current current = mapView.current();
        int slot = current.placement().of(p).holders().indexOf(self);
        if (slot < 0) {
            return false; // no longer a holder in this map
        }
        BlockStamp logStamp;
        try {
            logStamp = BlockStamp.parse(rec.getMeta().toByteArray());
        } catch (IllegalArgumentException e) {
            throw new IOException("log record " + rec.getKey() + " of " + p + ": " + e.getMessage());
        }
        switch (stripes.rebuild(p, rec.getKey(), v, logStamp, slot)) {
            case StripeReader.Rebuild.Built b -> {
                return applyLocal(p, new Mutation(rec.getKey(), v, false, b.meta(), b.block(), rec.getUnderProtected()))
                        == ApplyOutcome.APPLIED;
            }
            case StripeReader.Rebuild.Torn t -> {
                log.info("stripe {} {} at {} is torn ({}); left out", p, rec.getKey(), v, t.why());
                return false;
            }
            case StripeReader.Rebuild.Unavailable u ->
                    throw new IOException("block " + slot + " of " + rec.getKey() + " at " + v + " cannot be rebuilt yet: " + u.why());
        }
    }

    private boolean erasureCoded(PartitionId p) {
        return policyOf(p).kind() == StoragePolicy.Kind.ERASURE_CODED;
    }

    private StoragePolicy policyOf(PartitionId p) {
        return mapView.current().map().pool(p.pool()).map(PoolInfo::policy)
                .orElseThrow(() -> new IllegalStateException("no pool " + p.pool() + " in epoch " + mapView.epoch()));
    }

    private ApplyOutcome applyLocal(PartitionId p, Mutation m) throws IOException {
        ApplyOutcome outcome = store.apply(p, m);
        Slot slot = slots.get(p);
        if (slot != null && outcome == ApplyOutcome.APPLIED) {
            slot.lock.lock();
            try {
                slot.machine.noteApplied(m.version());
            } finally {
                slot.lock.unlock();
            }
        }
        return outcome;
    }

    private void persistCursor(PartitionId p, Version v) {
        try {
            store.putLocal(cursorKey(p), encodeVersion(v));
        } catch (IOException e) {
            log.warn("could not persist the cursor of {}: {}", p, e.toString());
        }
    }

    private static String cursorKey(PartitionId p) {
        return "cursor/" + p.pool() + "/" + p.partition();
    }

    private static byte[] encodeVersion(Version v) {
        return (v.epoch() + "." + v.seq()).getBytes(StandardCharsets.US_ASCII);
    }

    private static Version decodeVersion(byte[] b) {
        String s = new String(b, StandardCharsets.US_ASCII);
        int dot = s.indexOf('.');
        return new Version(Long.parseLong(s.substring(0, dot)), Long.parseLong(s.substring(dot + 1)));
    }

    // ---- requests ----

    /** A write to sequence (as primary), forward (to the primary) or refuse. */
    public ApplyReply apply(ApplyRequest req) {
        PartitionId p = RecordCodec.partition(req.getPartition());
        MapView.Current current = mapView.ensureEpoch(req.getEpoch());
        ByteBuffer blob = req.getHasBlob() ? req.getBlob().asReadOnlyByteBuffer() : null;
        if (blob != null && RecordCodec.crc32c(blob) != req.getBlobCrc32C()) {
            return applyReply(Status.ERROR, "blob failed its checksum in transit").build();
        }
        PartitionPlacement placement = current.placement().of(p);
        if (!placement.upHolders(current.map()).contains(self)) {
            return forwardApply(req, placement.primary(current.map()).orElse(null));
        }
        Stripe stripe = null;
        StoragePolicy policy = policyOf(p);
        if (blob != null && !req.getTombstone() && policy.kind() == StoragePolicy.Kind.ERASURE_CODED) {
            int up = placement.upHolders(current.map()).size();
            if (up < policy.dataBlocks()) {
                return applyReply(Status.REPLICATION_FAILED, "only " + up + " of the " + policy.width() + " holders of " + p
                        + " are up; a stripe needs at least " + policy.dataBlocks()).build();
            }
            // Encoded before the partition lock is taken: sequencing does not wait for the codec.
            stripe = new Stripe(placement.holders(), StripeCoder.encode(policy.dataBlocks(), policy.parityBlocks(), blob),
                    new BlockStamp(0, policy.dataBlocks(), policy.parityBlocks(), blob.remaining(), req.getBlobCrc32C()),
                    req.getMeta().toByteArray());
        }
        Slot slot = slot(p);
        Version version;
        List<String> targets;
        long epoch;
        Optional<StoredRecord> previous;
        boolean under;
        slot.lock.lock();
        try {
            int up = slot.machine.upHolders().size();
            if (policy.kind() != StoragePolicy.Kind.ERASURE_CODED && slot.machine.active()
                    && up < Math.min(minCopies, copiesWanted(policy))) {
                return applyReply(Status.TOO_FEW_COPIES, "only " + up + " of the holders of " + p + " are up, and min_copies is "
                        + minCopies + ": the write is refused until more come back").build();
            }
            PartitionStateMachine.WriteDecision d = slot.machine.admitWrite(req.getEpoch());
            switch (d) {
                case PartitionStateMachine.WriteDecision.Forward f -> {
                    return forwardApply(req, f.primary());
                }
                case PartitionStateMachine.WriteDecision.Refuse r -> {
                    return applyReply(r.reason() == PartitionStateMachine.Refusal.PEERING ? Status.PEERING : Status.NOT_PRIMARY,
                            "refused: " + r.reason()).build();
                }
                case PartitionStateMachine.WriteDecision.Sequence s -> version = s.version();
            }
            under = slot.machine.writesUnderProtected();
            if (req.hasOnlyIfBefore()) {
                Optional<StoredRecord> existing = store.get(p, req.getKey());
                if (existing.isPresent() && !RecordCodec.version(req.getOnlyIfBefore()).isAfter(existing.get().version())) {
                    return applyReply(Status.OK, "kept: " + req.getKey() + " is at " + existing.get().version())
                            .setVersion(RecordCodec.version(existing.get().version())).build();
                }
            }
            Mutation m = stripe == null
                    ? new Mutation(req.getKey(), version, req.getTombstone(), req.getMeta().toByteArray(), blob, under)
                    : new Mutation(req.getKey(), version, false, stripe.meta(self), stripe.block(self), under);
            previous = store.get(p, req.getKey());
            store.apply(p, m);
            slot.machine.noteApplied(version);
            slot.machine.mirroring(version);
            targets = slot.machine.mirrorTargets();
            epoch = slot.machine.epoch();
        } catch (StoreFullException e) {
            return applyReply(Status.FULL, "node " + self + " is full: " + e.getMessage()).build();
        } catch (IOException e) {
            return applyReply(Status.ERROR, "local write failed: " + e.getMessage()).build();
        } finally {
            slot.lock.unlock();
        }
        Record record = Record.newBuilder()
                .setKey(req.getKey()).setVersion(RecordCodec.version(version)).setTombstone(req.getTombstone())
                .setMeta(req.getMeta()).setHasBlob(req.getHasBlob()).setBlob(req.getBlob())
                .setBlobLength(req.getBlob().size()).setBlobCrc32C(req.getBlobCrc32C()).setUnderProtected(under).build();
        Stripe s = stripe;
        MirrorOutcome mirrored;
        try {
            mirrored = mirror(p, epoch, targets, s == null ? t -> record : t -> s.record(record, t));
        } finally {
            slot.lock.lock();
            try {
                slot.machine.mirrored(version);
            } finally {
                slot.lock.unlock();
            }
        }
        if (mirrored.failures() != null) {
            // A full holder fails the write for good; anything else is worth a retry.
            Status status = mirrored.full() ? Status.FULL : Status.REPLICATION_FAILED;
            return applyReply(status, mirrored.failures()).setVersion(RecordCodec.version(version)).build();
        }
        ApplyReply.Builder ok = applyReply(Status.OK, "").setVersion(RecordCodec.version(version));
        previous.filter(r -> !r.tombstone()).ifPresent(r -> ok.setHasPrevious(true).setPrevious(RecordCodec.record(r)));
        return ok.build();
    }

    /** @param failures null when every target confirmed, else why not; full: a target refused for lack of space */
    private record MirrorOutcome(String failures, boolean full) {}

    /**
     * The blocks of one erasure-coded chunk: block {@code i} goes to the node in slot {@code i} of
     * the partition's placement, stamped with its index.
     */
    private record Stripe(List<String> holders, ByteBuffer[] blocks, BlockStamp stamp, byte[] innerMeta) {

        private int slotOf(String node) {
            int slot = holders.indexOf(node);
            if (slot < 0 || slot >= blocks.length) {
                throw new IllegalStateException(node + " holds no block of this stripe (placement " + holders + ")");
            }
            return slot;
        }

        ByteBuffer block(String node) {
            return blocks[slotOf(node)];
        }

        byte[] meta(String node) {
            return stamp.forIndex(slotOf(node)).wrap(innerMeta);
        }

        /** The mirrored record for {@code node}: its own block instead of the chunk. */
        Record record(Record chunkRecord, String node) {
            ByteBuffer block = block(node);
            return chunkRecord.toBuilder().setMeta(com.google.protobuf.ByteString.copyFrom(meta(node)))
                    .setBlob(RecordCodec.bytes(block)).setBlobLength(block.remaining()).setBlobCrc32C(RecordCodec.crc32c(block)).build();
        }
    }

    /** Sends a sequenced record (as {@code recordFor} shapes it per target) to every target in parallel and waits for their answers. */
    private MirrorOutcome mirror(PartitionId p, long epoch, List<String> targets, java.util.function.Function<String, Record> recordFor) {
        if (targets.isEmpty()) {
            return new MirrorOutcome(null, false);
        }
        List<Future<MirrorReply>> calls = new ArrayList<>(targets.size());
        for (String t : targets) {
            calls.add(workers.submit(() -> peers.stub(t).mirror(MirrorRequest.newBuilder()
                    .setEpoch(epoch).setPartition(RecordCodec.ref(p)).setRecord(recordFor.apply(t)).setPrimary(self).build())));
        }
        StringBuilder failures = new StringBuilder();
        boolean full = false;
        for (int i = 0; i < targets.size(); i++) {
            try {
                MirrorReply r = calls.get(i).get();
                mapView.ensureEpoch(r.getEpoch());
                full |= r.getStatus() == Status.FULL;
                if (r.getStatus() != Status.OK) {
                    failures.append(targets.get(i)).append(": ").append(r.getStatus()).append(' ').append(r.getMessage()).append("; ");
                }
            } catch (Exception e) {
                failures.append(targets.get(i)).append(": ").append(rootMessage(e)).append("; ");
            }
        }
        return new MirrorOutcome(failures.isEmpty() ? null : "mirror to " + failures, full);
    }

    private ApplyReply forwardApply(ApplyRequest req, String primary) {
        if (primary == null || primary.equals(self)) {
            return applyReply(Status.PEERING, "no primary for the partition in epoch " + mapView.epoch()).build();
        }
        if (req.getHops() >= HOPS_MAX) {
            return applyReply(Status.NOT_PRIMARY, "not the primary; primary is " + primary).build();
        }
        try {
            return peers.stub(primary).apply(req.toBuilder().setHops(req.getHops() + 1).setEpoch(mapView.epoch()).build());
        } catch (RuntimeException e) {
            return applyReply(Status.ERROR, "forward to " + primary + " failed: " + rootMessage(e)).build();
        }
    }

    private ApplyReply.Builder applyReply(Status status, String message) {
        return ApplyReply.newBuilder().setStatus(status).setEpoch(mapView.epoch()).setMessage(message);
    }

    /** A mirrored mutation from the primary. */
    public MirrorReply mirror(MirrorRequest req) {
        PartitionId p = RecordCodec.partition(req.getPartition());
        MapView.Current current = mapView.ensureEpoch(req.getEpoch());
        if (!current.placement().of(p).upHolders(current.map()).contains(self)) {
            return mirrorReply(Status.NOT_PRIMARY, "not a holder of " + p + " in epoch " + current.epoch());
        }
        Slot slot = slot(p);
        PartitionStateMachine.Admission a;
        slot.lock.lock();
        try {
            a = slot.machine.admitMirror(req.getEpoch(), req.getPrimary());
        } finally {
            slot.lock.unlock();
        }
        if (a != PartitionStateMachine.Admission.ACCEPT) {
            return mirrorReply(a == PartitionStateMachine.Admission.REFUSE_STALE_EPOCH ? Status.STALE_EPOCH : Status.NOT_PRIMARY,
                    "refused: " + a);
        }
        Record r = req.getRecord();
        ByteBuffer blob = r.getHasBlob() ? r.getBlob().asReadOnlyByteBuffer() : null;
        if (blob != null && RecordCodec.crc32c(blob) != r.getBlobCrc32C()) {
            return mirrorReply(Status.ERROR, "blob failed its checksum in transit");
        }
        try {
            applyLocal(p, RecordCodec.mutation(r, blob));
            return mirrorReply(Status.OK, "");
        } catch (StoreFullException e) {
            return mirrorReply(Status.FULL, "node " + self + " is full: " + e.getMessage());
        } catch (IOException e) {
            return mirrorReply(Status.ERROR, "local write failed: " + e.getMessage());
        }
    }

    private MirrorReply mirrorReply(Status s, String message) {
        return MirrorReply.newBuilder().setStatus(s).setEpoch(mapView.epoch()).setMessage(message).build();
    }

    /** Reads a record: the authoritative copy at the primary, or this node's own copy if {@code local_only}. */
    public GetReply get(GetRequest req) {
        PartitionId p = RecordCodec.partition(req.getPartition());
        if (req.getLocalOnly()) {
            return readLocal(p, req.getKey(), req.getWithBlob(), false);
        }
        return atPrimary(p, req.getEpoch(), req.getHops(),
                (primary, epoch) -> peers.stub(primary).get(req.toBuilder().setHops(req.getHops() + 1).setEpoch(epoch).build()),
                () -> req.getWithBlob() && erasureCoded(p) ? readStriped(p, req.getKey()) : readLocal(p, req.getKey(), req.getWithBlob(), true),
                (status, message) -> getReply(status, message).build());
    }

    /** An erasure-coded chunk read whole at the primary: assembled from the stripe's holders. */
    private GetReply readStriped(PartitionId p, String key) {
        Optional<StoredRecord> rec = store.get(p, key);
        if (rec.isEmpty()) {
            return getReply(Status.NOT_FOUND, "").build();
        }
        StoredRecord r = rec.get();
        if (r.tombstone() || r.blobLength() == 0) {
            return getReply(Status.OK, "").setRecord(RecordCodec.record(r)).build();
        }
        try {
            BlockStamp stamp = BlockStamp.parse(r.meta());
            Optional<ByteBuffer> chunk = stripes.read(p, key, stamp.chunkLength(), 0, stamp.chunkLength());
            if (chunk.isEmpty()) {
                return getReply(Status.NOT_FOUND, "").build();
            }
            return getReply(Status.OK, "").setRecord(RecordCodec.record(r)
                    .setMeta(com.google.protobuf.ByteString.copyFrom(BlockStamp.innerMeta(r.meta())))
                    .setBlob(RecordCodec.bytes(chunk.get())).setBlobLength(stamp.chunkLength()).setBlobCrc32C(stamp.chunkCrc32c())).build();
        } catch (IOException | IllegalArgumentException e) {
            return getReply(Status.CORRUPT, e.getMessage()).build();
        }
    }

    /**
     * A rebuilt erasure-coded block sent back by a reader. The copy here is rewritten only if it
     * is damaged, is of the same version, and the bytes sent match the checksum stored with it.
     */
    public RepairReply repairBlock(RepairRequest req) {
        PartitionId p = RecordCodec.partition(req.getPartition());
        mapView.ensureEpoch(req.getEpoch());
        Record r = req.getRecord();
        if (!erasureCoded(p)) {
            return repairReply(Status.ERROR, "pool " + p.pool() + " is not erasure-coded");
        }
        ByteBuffer blob = r.getBlob().asReadOnlyByteBuffer();
        if (RecordCodec.crc32c(blob) != r.getBlobCrc32C()) {
            return repairReply(Status.ERROR, "block failed its checksum in transit");
        }
        Version v = RecordCodec.version(r.getVersion());
        Optional<StoredRecord> local = store.get(p, r.getKey());
        if (local.isEmpty() || local.get().tombstone() || !local.get().version().equals(v)) {
            return repairReply(Status.NOT_FOUND, "this node holds no block of " + r.getKey() + " at " + v);
        }
        if (local.get().blobCrc32c() != r.getBlobCrc32C() || local.get().blobLength() != blob.remaining()) {
            return repairReply(Status.ERROR, "the block sent does not match the checksum stored with " + r.getKey() + " at " + v);
        }
        if (store.readBlob(p, r.getKey()) instanceof BlobRead.Found f && f.version().equals(v)) {
            return repairReply(Status.OK, "the stored block is good; nothing rewritten");
        }
        try {
            boolean rewritten = store.repair(p, new Mutation(r.getKey(), v, false, local.get().meta(), blob));
            log.warn("rewrote damaged block of {} {} at {} (rewritten: {})", p, r.getKey(), v, rewritten);
            return repairReply(rewritten ? Status.OK : Status.NOT_FOUND, rewritten ? "" : "the record changed meanwhile");
        } catch (StoreFullException e) {
            return repairReply(Status.FULL, "node " + self + " is full: " + e.getMessage());
        } catch (IOException e) {
            return repairReply(Status.ERROR, "rewrite failed: " + e.getMessage());
        }
    }

    private RepairReply repairReply(Status s, String message) {
        return RepairReply.newBuilder().setStatus(s).setEpoch(mapView.epoch()).setMessage(message).build();
    }

    /**
     * Serves a read of the authoritative state here if this node is the partition's active
     * primary, forwards it to the primary (within the hop limit), or refuses it.
     */
    private <R> R atPrimary(PartitionId p, long requestEpoch, int hops, java.util.function.BiFunction<String, Long, R> forward,
                            java.util.function.Supplier<R> serve, java.util.function.BiFunction<Status, String, R> refuse) {
        MapView.Current current = mapView.ensureEpoch(requestEpoch);
        Optional<String> primary = current.placement().of(p).primary(current.map());
        if (primary.isEmpty()) {
            return refuse.apply(Status.PEERING, "no primary for " + p + " in epoch " + current.epoch());
        }
        if (!primary.get().equals(self)) {
            if (hops >= HOPS_MAX) {
                return refuse.apply(Status.NOT_PRIMARY, "primary is " + primary.get());
            }
            try {
                return forward.apply(primary.get(), current.epoch());
            } catch (RuntimeException e) {
                return refuse.apply(Status.ERROR, "forward to " + primary.get() + " failed: " + rootMessage(e));
            }
        }
        Slot slot = slot(p);
        PartitionStateMachine.Admission a;
        slot.lock.lock();
        try {
            a = slot.machine.admitPrimaryRead(requestEpoch);
        } finally {
            slot.lock.unlock();
        }
        if (a != PartitionStateMachine.Admission.ACCEPT) {
            return refuse.apply(a == PartitionStateMachine.Admission.REFUSE_PEERING ? Status.PEERING : Status.NOT_PRIMARY, "refused: " + a);
        }
        return serve.get();
    }

    private GetReply readLocal(PartitionId p, String key, boolean withBlob, boolean repairFromPeers) {
        Optional<StoredRecord> rec = store.get(p, key);
        if (rec.isEmpty()) {
            return getReply(Status.NOT_FOUND, "").build();
        }
        StoredRecord r = rec.get();
        Record.Builder out = RecordCodec.record(r);
        if (!withBlob || r.tombstone() || r.blobLength() == 0) {
            return getReply(Status.OK, "").setRecord(out).build();
        }
        BlobRead read = store.readBlob(p, key);
        switch (read) {
            case BlobRead.Found f -> {
                if (!f.version().equals(r.version())) {
                    return getReply(Status.NOT_FOUND, "blob changed during the read").build();
                }
                return getReply(Status.OK, "").setRecord(out.setBlob(RecordCodec.bytes(f.data()))).build();
            }
            case BlobRead.Missing m -> {
                log.warn("blob of {} {} is missing locally", p, key);
            }
            case BlobRead.Corrupt c -> {
                log.warn("blob of {} {} is corrupt: {}", p, key, c.reason());
            }
        }
        if (!repairFromPeers) {
            return getReply(Status.CORRUPT, "local copy of " + key + " is damaged").build();
        }
        Optional<ByteBuffer> good = repairFromPeers(p, r);
        if (good.isPresent()) {
            return getReply(Status.OK, "").setRecord(out.setBlob(RecordCodec.bytes(good.get()))).build();
        }
        return getReply(Status.CORRUPT, "no good copy of " + key + " found").build();
    }

    /** Fetches a good copy of {@code r}'s blob from another node (holders first) and rewrites the local one with it. */
    private Optional<ByteBuffer> repairFromPeers(PartitionId p, StoredRecord r) {
        MapView.Current current = mapView.current();
        for (String holder : RecoveryRules.copySources(current.map(), current.placement().of(p), self)) {
            try {
                GetReply got = peers.stub(holder).get(GetRequest.newBuilder()
                        .setEpoch(current.epoch()).setPartition(RecordCodec.ref(p)).setKey(r.key())
                        .setWithBlob(true).setLocalOnly(true).build());
                if (got.getStatus() != Status.OK || !RecordCodec.version(got.getRecord().getVersion()).equals(r.version())) {
                    continue;
                }
                ByteBuffer blob = got.getRecord().getBlob().asReadOnlyByteBuffer();
                if (RecordCodec.crc32c(blob) != r.blobCrc32c()) {
                    continue;
                }
                boolean repaired = store.repair(p, new Mutation(r.key(), r.version(), false, r.meta(), blob));
                log.warn("repaired blob of {} {} from {} (rewritten: {})", p, r.key(), holder, repaired);
                return Optional.of(blob);
            } catch (RuntimeException | IOException e) {
                log.info("repair of {} {} from {} failed: {}", p, r.key(), holder, e.toString());
            }
        }
        return Optional.empty();
    }

    private GetReply.Builder getReply(Status s, String message) {
        return GetReply.newBuilder().setStatus(s).setEpoch(mapView.epoch()).setMessage(message);
    }

    /** Records by key order, at the primary. */
    public ScanReply scan(ScanRequest req) {
        PartitionId p = RecordCodec.partition(req.getPartition());
        return atPrimary(p, req.getEpoch(), req.getHops(),
                (primary, epoch) -> peers.stub(primary).scan(req.toBuilder().setHops(req.getHops() + 1).setEpoch(epoch).build()),
                () -> {
                    int limit = Math.clamp(req.getLimit(), 1, SCAN_RECORDS_MAX);
                    ScanReply.Builder out = scanReply(Status.OK, "");
                    for (StoredRecord r : store.scan(p, req.getPrefix(), req.getAfterKey(), limit, false)) {
                        out.addRecords(RecordCodec.record(r));
                    }
                    return out.build();
                },
                (status, message) -> scanReply(status, message).build());
    }

    private ScanReply.Builder scanReply(Status s, String message) {
        return ScanReply.newBuilder().setStatus(s).setEpoch(mapView.epoch()).setMessage(message);
    }

    /**
     * This node's log of a partition after a version (metadata only), or only its
     * under-protected records. A holder catching up says how far it holds this node's log; once
     * every holder has, the reply tells them which records have all their copies again.
     */
    public SinceReply since(SinceRequest req) {
        PartitionId p = RecordCodec.partition(req.getPartition());
        mapView.ensureEpoch(req.getEpoch());
        Slot slot = slots.get(p);
        Version last;
        boolean unsettled = false;
        Version protectedUpTo = null;
        if (slot != null) {
            slot.lock.lock();
            try {
                if (!slot.machine.logSettled()) {
                    return SinceReply.newBuilder().setStatus(Status.PEERING).setEpoch(mapView.epoch())
                            .setMessage(p + " is peering here; its log is not settled yet").build();
                }
                if (!req.getHolder().isEmpty()) {
                    slot.machine.holderHolds(req.getHolder(), req.getHolderEpoch(), RecordCodec.version(req.getAfter()));
                }
                protectedUpTo = slot.machine.protectedUpTo();
                last = slot.machine.logVisibleUpTo();
                unsettled = slot.machine.lastApplied().isAfter(last);
            } finally {
                slot.lock.unlock();
            }
        } else {
            last = store.lastVersion(p);
        }
        if (protectedUpTo != null) {
            clearUnderProtected(p, protectedUpTo);
        }
        int limit = Math.clamp(req.getLimit(), 1, LOG_PAGE_RECORDS_MAX);
        Version after = RecordCodec.version(req.getAfter());
        List<StoredRecord> records = req.getUnderProtectedOnly() ? store.underProtected(p, after, limit) : store.since(p, after, limit);
        boolean more = records.size() == limit;
        SinceReply.Builder out = SinceReply.newBuilder().setStatus(Status.OK).setEpoch(mapView.epoch())
                .setLast(RecordCodec.version(last)).setUnsettled(unsettled);
        if (protectedUpTo != null) {
            out.setProtectedUpTo(RecordCodec.version(protectedUpTo));
        }
        for (StoredRecord r : records) {
            if (r.version().isAfter(last)) {
                more = false;
                break;
            }
            out.addRecords(RecordCodec.record(r).setUnderProtected(req.getUnderProtectedOnly()));
        }
        return out.setMore(more).build();
    }

    private final java.util.concurrent.atomic.AtomicLong underProtectedCopied = new java.util.concurrent.atomic.AtomicLong();

    /** Under-protected records this node copied, ahead of the rest of a catch-up, since start. */
    public long underProtectedCopied() {
        return underProtectedCopied.get();
    }

    /**
     * Records written with too few copies that are not yet known to have them all, counted at
     * the primary of each partition (so each counts once in the cluster).
     */
    public long underProtectedRecords() {
        long n = 0;
        for (Map.Entry<PartitionId, Slot> e : slots.entrySet()) {
            if (e.getValue().machine.role() == PartitionStateMachine.Role.PRIMARY) {
                n += store.underProtectedMarks(e.getKey());
            }
        }
        return n;
    }

    /** The records of {@code p} up to {@code upTo} have all their copies again: their under-protected marks go. */
    private void clearUnderProtected(PartitionId p, Version upTo) {
        if (store.underProtectedMarks(p) == 0) {
            return;
        }
        try {
            long before = store.underProtectedMarks(p);
            store.clearUnderProtected(p, upTo);
            long cleared = before - store.underProtectedMarks(p);
            if (cleared > 0) {
                log.info("{}: {} records written with too few copies have all their copies again (up to {})", p, cleared, upTo);
            }
        } catch (IOException e) {
            log.warn("could not clear the under-protected marks of {}: {}", p, e.toString());
        }
    }

    /** A peer checks this node is there. */
    public PingReply ping(PingRequest req) {
        return PingReply.newBuilder().setEpoch(mapView.ensureEpoch(req.getEpoch()).epoch()).setNode(self).build();
    }

    /** Partitions this node holds that have not settled their copy in the current epoch. */
    public int partitionsRecovering() {
        int n = 0;
        for (Slot s : slots.values()) {
            if (s.machine.recovering()) {
                n++;
            }
        }
        return n;
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    @Override
    public void close() {
        scrubber.close();
        ticker.shutdownNow();
        workers.shutdownNow();
    }
}
