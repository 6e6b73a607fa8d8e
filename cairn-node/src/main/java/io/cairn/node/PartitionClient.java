package io.cairn.node;

import com.google.protobuf.ByteString;
import io.cairn.core.partition.PartitionId;
import io.cairn.node.rpc.ApplyReply;
import io.cairn.node.rpc.ApplyRequest;
import io.cairn.node.rpc.GetReply;
import io.cairn.node.rpc.GetRequest;
import io.cairn.node.rpc.Record;
import io.cairn.node.rpc.RepairReply;
import io.cairn.node.rpc.RepairRequest;
import io.cairn.node.rpc.RecordCodec;
import io.cairn.node.rpc.ScanReply;
import io.cairn.node.rpc.ScanRequest;
import io.cairn.node.rpc.Status;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends requests to the node responsible for a partition, following map changes: on a refusal
 * or an unreachable node it refreshes the map and retries with backoff, until the retry budget
 * runs out.
 */
public final class PartitionClient implements Records {

    private static final Logger log = LoggerFactory.getLogger(PartitionClient.class);
    private static final long BACKOFF_MIN_MILLIS = 50;
    private static final long BACKOFF_MAX_MILLIS = 1000;
    /** How often a request that waits for the meta service to answer this node again looks. */
    private static final long META_SILENCE_POLL_MILLIS = 100;

    private final MapView mapView;
    private final PeerChannels peers;
    private final long retryMillis;

    /** Calls under way, by the node they wait on: cancelled when the map marks that node down. */
    private final java.util.Map<io.grpc.Context.CancellableContext, String> inFlight = new java.util.concurrent.ConcurrentHashMap<>();

    /** Whether this node is cut off from the meta service. */
    private final MetaContact contact;
    /** Peers that answer this node's pings no longer, as the replica last reported them. */
    private volatile java.util.Set<String> suspects = java.util.Set.of();

    public PartitionClient(MapView mapView, PeerChannels peers, long retryMillis) {
        this(mapView, peers, retryMillis, MetaContact.NONE);
    }

    /**
     * @param contact whether this node is cut off from the meta service: then a request that needs
     *                a peer answering no pings fails at once, and one whose attempt failed is not
     *                tried again (the map cannot move from here; see {@link #suspects})
     */
    public PartitionClient(MapView mapView, PeerChannels peers, long retryMillis, MetaContact contact) {
        this.mapView = mapView;
        this.peers = peers;
        this.retryMillis = retryMillis;
        this.contact = contact;
        mapView.addListener(this::cancelCallsToDownNodes);
    }

    /**
     * The peers that answer this node's pings no longer (the replica's suspects). While this node
     * is cut off from the meta service, calls waiting on one of them are given up: the map that
     * would mark it down cannot reach this node, so they could only wait out their deadline
     * (30 s by default), and the request would fail then all the same. A site cut off from the
     * rest answers its clients in seconds this way, and they can turn to the other site.
     */
    public void suspects(java.util.Collection<String> now) {
        suspects = java.util.Set.copyOf(now);
        if (!contact.cutOff() || suspects.isEmpty()) {
            return;
        }
        inFlight.forEach((context, node) -> {
            if (suspects.contains(node)) {
                context.cancel(new IllegalStateException(unreachable(node)));
            }
        });
    }

    /** Whether a call to {@code node} would only wait out its deadline: it answers no pings, and this node is cut off. */
    private boolean cannotReach(String node) {
        return suspects.contains(node) && contact.cutOff();
    }

    private String unreachable(String node) {
        return node + " answers no pings, and " + contact.why();
    }

    /**
     * A request waiting on a node the map now marks down is given up at once and tried again on
     * the partition's new primary: a node its peers cannot reach may never answer before the
     * deadline, and a client should wait no longer than the cluster takes to route around it.
     */
    private void cancelCallsToDownNodes(MapView.Current current) {
        inFlight.forEach((context, node) -> {
            if (current.map().node(node).map(n -> !n.isUp()).orElse(true)) {
                context.cancel(new IllegalStateException(node + " is down in map epoch " + current.epoch()));
            }
        });
    }

    /** Runs {@code call} to {@code node}, cancelled if the map marks that node down meanwhile. */
    private <T> T watched(String node, java.util.function.Supplier<T> call) {
        return inWatchedContext(node, context -> context.call(call::get));
    }

    /** A call made in a context that {@link #inWatchedContext} cancels when the map marks its node down. */
    private interface WatchedCall<T> {
        T run(io.grpc.Context.CancellableContext context) throws Exception;
    }

    /**
     * Runs {@code call} in a context registered as waiting on {@code node}: cancelled if the map
     * marks the node down meanwhile, and at the end in any case. A node already down is not called.
     */
    private <T> T inWatchedContext(String node, WatchedCall<T> call) {
        io.grpc.Context.CancellableContext context = io.grpc.Context.current().withCancellation();
        inFlight.put(context, node);
        try {
            if (mapView.current().map().node(node).map(n -> !n.isUp()).orElse(true)) {
                // Retried on the partition's next primary (a ClusterException would end the request).
                throw new IllegalStateException(node + " is down in map epoch " + mapView.epoch());
            }
            if (cannotReach(node)) {
                throw new IllegalStateException(unreachable(node));
            }
            return call.run(context);
        } catch (RuntimeException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClusterException(ClusterException.Kind.UNAVAILABLE, "call to " + node + " interrupted");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            inFlight.remove(context);
            context.cancel(null);
        }
    }

    /** Outcome of one attempt: done with a value, or retry after refreshing the map. */
    private sealed interface Attempt<T> {
        record Done<T>(T value) implements Attempt<T> {}
        record Retry<T>(String why) implements Attempt<T> {}
    }

    /**
     * Writes one record through the partition's primary; returns once the holders have it
     * durably, with the live record it superseded (metadata only), if any.
     */
    @Override
    public Optional<Record> apply(PartitionId p, String key, boolean tombstone, byte[] meta, ByteBuffer blob) {
        ApplyRequest.Builder req = ApplyRequest.newBuilder()
                .setPartition(RecordCodec.ref(p)).setKey(key).setTombstone(tombstone)
                .setMeta(ByteString.copyFrom(meta == null ? new byte[0] : meta));
        return applyThroughPrimary(p, "write " + key, req, blob,
                r -> r.getHasPrevious() ? Optional.of(r.getPrevious()) : Optional.<Record>empty());
    }

    /**
     * Writes one record through the partition's primary only if the record's newest version is
     * still {@code current} (as read): a compare-and-set, decided by the primary in the order it
     * sequences the writes of the key. True if written, false if another write came first.
     */
    @Override
    public boolean applyIfStill(PartitionId p, String key, io.cairn.node.rpc.Version current, byte[] meta, ByteBuffer blob) {
        ApplyRequest.Builder req = ApplyRequest.newBuilder()
                .setPartition(RecordCodec.ref(p)).setKey(key).setTombstone(false)
                .setMeta(ByteString.copyFrom(meta))
                // Written only if the newest version is before the one right after current, so is current.
                .setOnlyIfBefore(io.cairn.node.rpc.Version.newBuilder().setEpoch(current.getEpoch()).setSeq(current.getSeq() + 1));
        return applyThroughPrimary(p, "conditional write " + key, req, blob, r -> !r.getKept());
    }

    /**
     * Deletes one record through the partition's primary only if its newest version is still
     * {@code current} (as read): true if deleted, false if another write came first.
     */
    @Override
    public boolean deleteIfStill(PartitionId p, String key, io.cairn.node.rpc.Version current) {
        ApplyRequest.Builder req = ApplyRequest.newBuilder()
                .setPartition(RecordCodec.ref(p)).setKey(key).setTombstone(true)
                .setOnlyIfBefore(io.cairn.node.rpc.Version.newBuilder().setEpoch(current.getEpoch()).setSeq(current.getSeq() + 1));
        return applyThroughPrimary(p, "conditional delete " + key, req, null, r -> !r.getKept());
    }

    /**
     * Sends {@code req} (with {@code blob}, if any) to the partition's primary, again after a map
     * refresh while the primary cannot decide; a full node or too few copies is final.
     */
    private <T> T applyThroughPrimary(PartitionId p, String what, ApplyRequest.Builder req, ByteBuffer blob,
                                      java.util.function.Function<ApplyReply, T> done) {
        if (blob != null) {
            req.setHasBlob(true).setBlob(RecordCodec.bytes(blob)).setBlobCrc32C(RecordCodec.crc32c(blob));
        }
        return retrying(p, what, primary -> {
            ApplyReply r = watched(primary, () -> peers.writeStub(primary).apply(req.setEpoch(mapView.epoch()).build()));
            mapView.ensureEpoch(r.getEpoch());
            return switch (r.getStatus()) {
                case OK -> new Attempt.Done<>(done.apply(r));
                case FULL -> throw new ClusterException(ClusterException.Kind.FULL, r.getMessage());
                case TOO_FEW_COPIES -> throw new ClusterException(ClusterException.Kind.UNAVAILABLE, r.getMessage());
                default -> new Attempt.Retry<>(r.getStatus() + " " + r.getMessage());
            };
        });
    }

    /**
     * Reads a record at the partition's primary (the authoritative copy). When the call to the
     * primary fails, or it stays silent for {@link #primaryHedgeDelayMillis()}, the read goes to the
     * other up holders as well, each answering only if its own copy has settled, that is holds
     * every acknowledged write (see {@code Request.Get}): a node or a site lost, or a frozen
     * primary, costs the reads of its partitions a failed call or the hedge delay, not the seconds
     * until the map marks it down. Retried with backoff and map refreshes until the retry budget
     * runs out.
     */
    @Override
    public Optional<Record> get(PartitionId p, String key, boolean withBlob) {
        Optional<Optional<Record>> inSite = leasedGet(p, key, withBlob);
        if (inSite.isPresent()) {
            return inSite.get();
        }
        GetRequest.Builder req = GetRequest.newBuilder().setPartition(RecordCodec.ref(p)).setKey(key).setWithBlob(withBlob);
        return retrying(p, "read " + key, primary -> primaryOrSettled(primary,
                stub -> stub.get(req.setEpoch(mapView.epoch()).build()),
                r -> {
                    mapView.ensureEpoch(r.getEpoch());
                    return switch (r.getStatus()) {
                        case OK -> new Attempt.Done<>(Optional.of(r.getRecord()));
                        case NOT_FOUND -> new Attempt.Done<>(Optional.<Record>empty());
                        case CORRUPT -> throw new ClusterException(ClusterException.Kind.CORRUPT, r.getMessage());
                        case ERROR -> settledGet(p, key, withBlob, primary, r.getMessage())
                                .orElseGet(() -> new Attempt.Retry<>(r.getStatus() + " " + r.getMessage()));
                        default -> new Attempt.Retry<>(r.getStatus() + " " + r.getMessage());
                    };
                },
                why -> settledGet(p, key, withBlob, primary, why)));
    }

    /** How long a leased read in the gateway's own site may take before the read goes to the primary. */
    static final long LEASED_READ_DEADLINE_MILLIS = 500;

    /**
     * A read in the gateway's own site when the partition's primary is in another: an up holder
     * here (this node first) answers from its copy if that copy has settled and the holder has a
     * running read lease from the primary, which makes the answer as current as the primary's
     * ({@code ReadLeases} in the protocol). Such a GET costs no round trip between the sites.
     * Empty when there is no such holder or it refuses (no lease, a copy still settling, a
     * newer map): then the read goes to the primary as usual.
     */
    private Optional<Optional<Record>> leasedGet(PartitionId p, String key, boolean withBlob) {
        return leasedCall(p, withBlob, stub -> stub.get(GetRequest.newBuilder().setEpoch(mapView.epoch()).setPartition(RecordCodec.ref(p))
                .setKey(key).setWithBlob(withBlob).setLocalOnly(true).setSettled(true).setLeased(true).build())).flatMap(r -> {
                    mapView.ensureEpoch(r.getEpoch());
                    return switch (r.getStatus()) {
                        case OK -> Optional.of(Optional.of(r.getRecord()));
                        case NOT_FOUND -> Optional.of(Optional.<Record>empty());
                        default -> Optional.empty();
                    };
                });
    }

    /** {@code call} to the holder {@link #leasedHolder} names, within {@link #LEASED_READ_DEADLINE_MILLIS}; empty if none or it failed. */
    private <T> Optional<T> leasedCall(PartitionId p, boolean withBlob, Function<io.cairn.node.rpc.NodeRpcGrpc.NodeRpcBlockingStub, T> call) {
        Optional<String> inSite = leasedHolder(p, withBlob);
        if (inSite.isEmpty()) {
            return Optional.empty();
        }
        String holder = inSite.get();
        try {
            return Optional.of(watched(holder, () -> call.apply(peers.stub(holder)
                    .withDeadlineAfter(LEASED_READ_DEADLINE_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS))));
        } catch (io.grpc.StatusRuntimeException | IllegalStateException e) {
            return Optional.empty(); // the holder is down or slow: the primary answers
        }
    }

    /**
     * The up holder of {@code p} in this gateway's site (this node first) that a read goes to
     * under a lease, when the partition's primary is in another site; empty otherwise.
     */
    private Optional<String> leasedHolder(PartitionId p, boolean withBlob) {
        MapView.Current current = mapView.current();
        Optional<String> self = peers.selfId();
        Optional<String> primary = current.placement().of(p).primary(current.map());
        if (self.isEmpty() || primary.isEmpty() || withBlob && erasureCoded(current, p)) {
            return Optional.empty();
        }
        String ownSite = current.map().node(self.get()).map(io.cairn.core.map.NodeInfo::site).orElse(null);
        java.util.function.Predicate<String> here = id -> current.map().node(id).map(n -> n.site().equals(ownSite)).orElse(false);
        if (ownSite == null || here.test(primary.get())) {
            return Optional.empty();
        }
        return current.placement().of(p).upHolders(current.map()).stream().filter(here)
                .min(java.util.Comparator.comparing((String id) -> !id.equals(self.get())))
                .filter(holder -> !cannotReach(holder));
    }

    /**
     * One call to a partition's primary, cancelled if the map marks it down meanwhile. If the call
     * fails, or no answer comes within the hedge delay, {@code settled} is asked (the settled reads
     * of the other holders); when they do not decide, the primary's answer is awaited.
     */
    private <R, T> Attempt<T> primaryOrSettled(String primary,
            Function<io.cairn.node.rpc.NodeRpcGrpc.NodeRpcFutureStub, com.google.common.util.concurrent.ListenableFuture<R>> call,
            Function<R, Attempt<T>> decide, Function<String, Optional<Attempt<T>>> settled) {
        return inWatchedContext(primary, context -> {
            long t = System.nanoTime();
            // A primary that has answered nothing for a while (frozen, cut off) is not waited for.
            Long waiting = waitingSince.putIfAbsent(primary, t);
            long delay = waiting != null && t - waiting > SILENT_AFTER_NANOS ? 0 : primaryHedgeDelayMillis();
            com.google.common.util.concurrent.ListenableFuture<R> answer = context.call(() -> call.apply(peers.futureStub(primary)));
            answer.addListener(() -> {
                if (!context.isCancelled()) { // an answer or a failure of its own, not a call given up here
                    waitingSince.remove(primary);
                }
            }, com.google.common.util.concurrent.MoreExecutors.directExecutor());
            R reply;
            try {
                try {
                    reply = answer.get(delay, java.util.concurrent.TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.TimeoutException silent) {
                    // Settled reads in rounds (a holder may refuse for a moment: fetching a newer map)
                    // while the primary stays silent, until it answers or its deadline passes.
                    while (true) {
                        Optional<Attempt<T>> fromSettled = settled.apply("no answer within " + delay + " ms");
                        if (fromSettled.isPresent()) {
                            return fromSettled.get();
                        }
                        try {
                            reply = answer.get(SETTLED_ROUND_PAUSE_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
                            break;
                        } catch (java.util.concurrent.TimeoutException stillSilent) {
                            if (cannotReach(primary)) {
                                return new Attempt.Retry<>(unreachable(primary));
                            }
                            // another round
                        }
                    }
                }
            } catch (java.util.concurrent.ExecutionException e) {
                RuntimeException failure = e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
                return settled.apply(failure.getMessage()).orElseThrow(() -> failure);
            }
            if (!peers.selfId().map(primary::equals).orElse(false)) {
                primaryReads.add(System.nanoTime() - t);
            }
            return decide.apply(reply);
        });
    }

    /**
     * For each primary with calls of this gateway under way, since when it has answered none
     * (removed at each answer or failure, not at a call given up here): a primary silent for {@link #SILENT_AFTER_NANOS} is not
     * waited on before settled reads start. A loaded primary that answers slowly still answers
     * some calls, and is waited on the hedge delay as usual.
     */
    private final java.util.Map<String, Long> waitingSince = new java.util.concurrent.ConcurrentHashMap<>();

    static final long SILENT_AFTER_NANOS = 1_000_000_000L;

    /** Between rounds of settled reads that did not decide, while the primary stays silent. */
    static final long SETTLED_ROUND_PAUSE_MILLIS = 250;

    /** Latencies of recent index reads and scans at primaries on other nodes that answered. */
    private final LatencyWindow primaryReads = new LatencyWindow(128);

    /** How long an index read or scan waits on a silent primary before the settled reads of other holders start. */
    long primaryHedgeDelayMillis() {
        return primaryReads.hedgeDelayMillis(HEDGE_DELAY_DEFAULT_MILLIS, PRIMARY_HEDGE_DELAY_MIN_MILLIS, HEDGE_DELAY_MAX_MILLIS);
    }

    /** At least this: under load a primary answering slowly is not a gray failure, and a hedge costs a read elsewhere. */
    static final long PRIMARY_HEDGE_DELAY_MIN_MILLIS = 500;

    /**
     * The read of a record from the up holders other than {@code primary}, which failed: each is
     * asked for its own copy if settled, hedged as chunk reads are, this node and its site first.
     * Empty when none answered from a settled copy (or the record is a whole erasure-coded one,
     * which no single holder has).
     */
    private Optional<Attempt<Optional<Record>>> settledGet(PartitionId p, String key, boolean withBlob, String primary, String why) {
        MapView.Current current = mapView.current();
        if (withBlob && erasureCoded(current, p)) {
            return Optional.empty();
        }
        List<Hedged.Attempt<Optional<Record>>> attempts = new java.util.ArrayList<>();
        for (String source : settledSources(current, p, primary)) {
            attempts.add(() -> {
                GetReply r = watched(source, () -> peers.stub(source).get(GetRequest.newBuilder()
                        .setEpoch(mapView.epoch()).setPartition(RecordCodec.ref(p)).setKey(key)
                        .setWithBlob(withBlob).setLocalOnly(true).setSettled(true).build()));
                mapView.ensureEpoch(r.getEpoch());
                return switch (r.getStatus()) {
                    case OK -> Optional.of(Optional.of(r.getRecord()));
                    case NOT_FOUND -> Optional.of(Optional.<Record>empty());
                    default -> {
                        log.debug("settled read of {} {} at {}: {} {}", p, key, source, r.getStatus(), r.getMessage());
                        yield Optional.empty();
                    }
                };
            });
        }
        return hedgedSettled(attempts, p, primary, why);
    }

    /** The up holders of {@code p} other than {@code primary}, in the order settled reads ask them: this node, its site, the rest. */
    private List<String> settledSources(MapView.Current current, PartitionId p, String primary) {
        List<String> up = current.placement().of(p).upHolders(current.map()).stream().filter(h -> !h.equals(primary)).toList();
        Optional<String> self = peers.selfId();
        String ownSite = self.flatMap(id -> current.map().node(id)).map(io.cairn.core.map.NodeInfo::site).orElse(null);
        return sourceOrder(up, Optional.empty(), self, -1,
                id -> current.map().node(id).map(io.cairn.core.map.NodeInfo::site).orElse("").equals(ownSite));
    }

    private static boolean erasureCoded(MapView.Current current, PartitionId p) {
        return current.map().pool(p.pool())
                .map(pool -> pool.policy().kind() == io.cairn.core.map.StoragePolicy.Kind.ERASURE_CODED).orElse(false);
    }

    /** When each primary last had its reads served by settled holders in its stead, for the log. */
    private final java.util.Map<String, Long> settledLogged = new java.util.concurrent.ConcurrentHashMap<>();

    private <T> Optional<Attempt<T>> hedgedSettled(List<Hedged.Attempt<T>> attempts, PartitionId p, String primary, String why) {
        if (attempts.isEmpty()) {
            return Optional.empty();
        }
        Optional<T> answer;
        try {
            // A holder that hangs (frozen, or across a cut) must not hold the round up to its deadline.
            answer = Hedged.first(attempts, hedgeDelayMillis(), hedgeDelayMillis(), "settled read in " + p);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClusterException(ClusterException.Kind.UNAVAILABLE, "read in " + p + " interrupted");
        }
        if (answer.isPresent()) {
            long now = System.nanoTime();
            Long last = settledLogged.get(primary);
            if (last == null || now - last > 10_000_000_000L) {
                settledLogged.put(primary, now);
                log.info("reads in {} and others: primary {} failed ({}); served by holders with settled copies", p, primary, why);
            }
        }
        return answer.map(Attempt.Done::new);
    }

    /**
     * Reads an immutable blob record (a data chunk): from this node's own verified copy if it holds
     * one, else from the primary, which repairs a bad copy, or, when the primary cannot answer,
     * from any other holder's own verified copy. A chunk is written once, so every verified copy
     * has the same bytes; a holder still catching up answers that it lacks it.
     */
    public Optional<Record> getImmutable(PartitionId p, String key) {
        return getImmutable(p, key, -1);
    }

    /**
     * Where a chunk read asks, in order: this node when it holds a copy (no network hop), or else
     * the holder {@code spread} picks among those of this node's site (among all when none is
     * there), so that the chunks of one large read spread over them; then the primary if it is
     * in this site, the other holders of this site, the primary if it is in another, and the
     * other holders. A GET served in its site costs no cross-site round
     * trip while a holder there has the chunk. With no spread ({@code -1}), the primary comes
     * first among the holders of its site.
     */
    static List<String> sourceOrder(List<String> up, Optional<String> primary, Optional<String> self, int spread,
            java.util.function.Predicate<String> inOwnSite) {
        List<String> order = new java.util.ArrayList<>();
        if (self.isPresent() && up.contains(self.get())) {
            order.add(self.get());
        }
        List<String> local = up.stream().filter(inOwnSite).toList();
        if (order.isEmpty() && spread >= 0 && !up.isEmpty()) {
            List<String> pickFrom = local.isEmpty() ? up : local;
            order.add(pickFrom.get(spread % pickFrom.size()));
        }
        primary.filter(inOwnSite).filter(h -> !order.contains(h)).ifPresent(order::add);
        local.stream().filter(h -> !order.contains(h)).forEach(order::add);
        primary.filter(h -> !order.contains(h)).ifPresent(order::add);
        up.stream().filter(h -> !order.contains(h)).forEach(order::add);
        return order;
    }

    /**
     * As {@link #getImmutable(PartitionId, String)}, but when this node holds no copy, the first
     * try goes to up holder number {@code spread} (modulo their count), so that the chunks of one
     * large read spread over the holders; -1 goes to the primary first.
     *
     * <p>The reads are hedged: the next source is asked when the ones asked so far failed, or
     * stayed silent for {@link #hedgeDelayMillis()} (twice the 90th percentile of recent chunk
     * reads from other nodes), so a holder that hangs costs that delay, not the RPC deadline. Sources in
     * the order of {@link #sourceOrder}, which prefers this node's site. A holder whose copy failed its check
     * is sent the good bytes once they are found.
     */
    @Override
    public Optional<Record> getImmutable(PartitionId p, String key, int spread) {
        return getImmutable(p, key, spread, true);
    }

    /**
     * As {@link #getImmutable(PartitionId, String, int)}; with {@code search}, the caller knows the
     * chunk exists (an index entry names it), so a primary with no trace of it searches the other
     * nodes for a verified copy before it answers that there is none ({@code Request.Get}).
     */
    @Override
    public Optional<Record> getImmutable(PartitionId p, String key, int spread, boolean search) {
        MapView.Current current = mapView.current();
        List<String> up = current.placement().of(p).upHolders(current.map());
        Optional<String> primary = current.placement().of(p).primary(current.map());
        Optional<String> self = peers.selfId();
        String ownSite = self.flatMap(id -> current.map().node(id)).map(io.cairn.core.map.NodeInfo::site).orElse(null);
        List<String> order = sourceOrder(up, primary, self, spread,
                id -> current.map().node(id).map(io.cairn.core.map.NodeInfo::site).orElse("").equals(ownSite));
        long epoch = current.epoch();
        java.util.Set<String> damaged = java.util.concurrent.ConcurrentHashMap.newKeySet();
        List<Hedged.Attempt<Optional<Record>>> attempts = new java.util.ArrayList<>();
        for (String source : order) {
            boolean atPrimary = primary.isPresent() && source.equals(primary.get());
            attempts.add(() -> {
                long t = System.nanoTime();
                GetReply r = watched(source, () -> peers.stub(source).get(GetRequest.newBuilder()
                        .setEpoch(epoch).setPartition(RecordCodec.ref(p)).setKey(key)
                        .setWithBlob(true).setLocalOnly(!atPrimary).setSearch(atPrimary && search).build()));
                if (atPrimary) {
                    mapView.ensureEpoch(r.getEpoch());
                }
                if (r.getStatus() == Status.OK && (atPrimary || !r.getRecord().getTombstone())) {
                    if (!self.map(source::equals).orElse(false)) {
                        chunkReads.add(System.nanoTime() - t); // reads of the own copy, with no network hop, would make the delay too short
                    }
                    return Optional.of(Optional.of(r.getRecord()));
                }
                if (atPrimary && r.getStatus() == Status.NOT_FOUND) {
                    return Optional.of(Optional.<Record>empty()); // the primary's word: there is no such chunk
                }
                if (r.getStatus() == Status.CORRUPT && !atPrimary) {
                    damaged.add(source);
                }
                log.info("chunk {} {} at {}: {} {}; asking another holder", p, key, source, r.getStatus(), r.getMessage());
                return Optional.empty();
            });
        }
        Optional<Optional<Record>> decided;
        try {
            decided = Hedged.first(attempts, hedgeDelayMillis(), "chunk " + p + " " + key);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClusterException(ClusterException.Kind.UNAVAILABLE, "read of chunk " + key + " interrupted");
        }
        // Nobody decided: go through the primary with retries (it may be peering, or the map moving).
        Optional<Record> good = decided.isPresent() ? decided.get() : get(p, key, true);
        good.filter(g -> !g.getTombstone() && g.getHasBlob()).ifPresent(g -> damaged.forEach(holder -> sendBack(holder, p, g)));
        return good;
    }

    /** Latencies of recent chunk reads from other nodes that returned the chunk: the hedge delay follows them. */
    private final LatencyWindow chunkReads = new LatencyWindow(128);

    /** How long a chunk read waits on one source before it asks the next as well. */
    long hedgeDelayMillis() {
        return chunkReads.hedgeDelayMillis(HEDGE_DELAY_DEFAULT_MILLIS, HEDGE_DELAY_MIN_MILLIS, HEDGE_DELAY_MAX_MILLIS);
    }

    static final long HEDGE_DELAY_DEFAULT_MILLIS = 500;
    static final long HEDGE_DELAY_MIN_MILLIS = 20;
    static final long HEDGE_DELAY_MAX_MILLIS = 2_000;

    /** Sends good bytes of a chunk to a holder whose copy is damaged; it rewrites its copy if they match its stored checksum. */
    private void sendBack(String holder, PartitionId p, Record good) {
        try {
            RepairReply r = peers.stub(holder).repairBlock(RepairRequest.newBuilder()
                    .setEpoch(mapView.epoch()).setPartition(RecordCodec.ref(p)).setRecord(good).build());
            log.info("chunk {} {}: damaged copy at {} sent good bytes: {} {}", p, good.getKey(), holder, r.getStatus(), r.getMessage());
        } catch (RuntimeException e) {
            log.info("chunk {} {}: could not send good bytes to {}: {}", p, good.getKey(), holder, e.toString());
        }
    }

    /** Records by key order at the partition's primary. */
    @Override
    public List<Record> scan(PartitionId p, String prefix, String afterKey, int limit) {
        return scan(p, prefix, afterKey, limit, "");
    }

    /**
     * Records by key order at the partition's primary; with a non-empty {@code delimiter}, the keys
     * under each common prefix (see {@code Request.Scan}) as one record, the first under it. When the
     * primary fails or stays silent, from another up holder's settled copy, as {@link #get} does;
     * when the primary is in another site, first from a holder in this one under a read lease, as
     * {@link #get} does too.
     */
    @Override
    public List<Record> scan(PartitionId p, String prefix, String afterKey, int limit, String delimiter) {
        ScanRequest.Builder req = ScanRequest.newBuilder().setPartition(RecordCodec.ref(p))
                .setPrefix(prefix).setAfterKey(afterKey).setLimit(limit).setDelimiter(delimiter);
        Optional<ScanReply> inSite = leasedCall(p, false, stub -> stub.scan(req.clone().setEpoch(mapView.epoch()).setSettled(true)
                .setLeased(true).build()));
        inSite.ifPresent(r -> mapView.ensureEpoch(r.getEpoch()));
        if (inSite.isPresent() && inSite.get().getStatus() == Status.OK) {
            return inSite.get().getRecordsList();
        }
        return retrying(p, "scan", primary -> primaryOrSettled(primary,
                stub -> stub.scan(req.setEpoch(mapView.epoch()).setSettled(false).build()),
                r -> {
                    mapView.ensureEpoch(r.getEpoch());
                    return switch (r.getStatus()) {
                        case OK -> new Attempt.Done<>(r.getRecordsList());
                        case ERROR -> settledScan(p, req, primary, r.getMessage())
                                .orElseGet(() -> new Attempt.Retry<>(r.getStatus() + " " + r.getMessage()));
                        default -> new Attempt.Retry<>(r.getStatus() + " " + r.getMessage());
                    };
                },
                why -> settledScan(p, req, primary, why)));
    }

    private Optional<Attempt<List<Record>>> settledScan(PartitionId p, ScanRequest.Builder req, String primary, String why) {
        MapView.Current current = mapView.current();
        ScanRequest settled = req.clone().setEpoch(current.epoch()).setSettled(true).build();
        List<Hedged.Attempt<List<Record>>> attempts = new java.util.ArrayList<>();
        for (String source : settledSources(current, p, primary)) {
            attempts.add(() -> {
                ScanReply r = watched(source, () -> peers.stub(source).scan(settled));
                mapView.ensureEpoch(r.getEpoch());
                if (r.getStatus() == Status.OK) {
                    return Optional.of(r.getRecordsList());
                }
                log.debug("settled scan of {} at {}: {} {}", p, source, r.getStatus(), r.getMessage());
                return Optional.empty();
            });
        }
        return hedgedSettled(attempts, p, primary, why);
    }

    private <T> T retrying(PartitionId p, String what, Function<String, Attempt<T>> call) {
        long deadline = System.nanoTime() + retryMillis * 1_000_000L;
        long backoff = BACKOFF_MIN_MILLIS;
        String lastWhy = "no attempt";
        int attempts = 0;
        while (true) {
            attempts++;
            MapView.Current current = mapView.current();
            Optional<String> primary = current.placement().of(p).primary(current.map());
            if (primary.isPresent()) {
                try {
                    Attempt<T> a = call.apply(primary.get());
                    if (a instanceof Attempt.Done<T> done) {
                        return done.value();
                    }
                    lastWhy = ((Attempt.Retry<T>) a).why();
                } catch (ClusterException e) {
                    throw e;
                } catch (RuntimeException e) {
                    lastWhy = primary.get() + ": " + e.getMessage();
                }
            } else {
                lastWhy = "no primary in epoch " + current.epoch();
            }
            if (System.nanoTime() > deadline) {
                throw new ClusterException(ClusterException.Kind.UNAVAILABLE,
                        what + " in " + p + " failed after " + attempts + " attempts: " + lastWhy);
            }
            // While the meta service is silent, a map read would wait on it as well: wait instead
            // for a heartbeat's answer, or for the silence to make this node cut off.
            while (contact.silent() && !contact.cutOff() && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(META_SILENCE_POLL_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ClusterException(ClusterException.Kind.UNAVAILABLE, what + " interrupted");
                }
            }
            if (contact.cutOff()) {
                // The map cannot change here, so the next attempt would meet what this one did.
                throw new ClusterException(ClusterException.Kind.UNAVAILABLE,
                        what + " in " + p + " failed: " + lastWhy + "; not tried again: " + contact.why());
            }
            log.debug("{}: retrying ({})", what, lastWhy);
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ClusterException(ClusterException.Kind.UNAVAILABLE, what + " interrupted");
            }
            backoff = Math.min(BACKOFF_MAX_MILLIS, backoff * 2);
            try {
                mapView.refresh();
            } catch (RuntimeException e) {
                lastWhy = "map refresh failed: " + e.getMessage();
            }
        }
    }
}
