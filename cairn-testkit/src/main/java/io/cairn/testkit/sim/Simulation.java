package io.cairn.testkit.sim;

import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeState;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.map.StoragePolicy;
import io.cairn.core.map.UserInfo;
import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.core.placement.PartitionHash;
import io.cairn.core.placement.PartitionPlacement;
import io.cairn.core.placement.PlacementFunction;
import io.cairn.core.placement.PlacementTable;
import io.cairn.core.store.Mutation;
import io.cairn.core.store.StoredRecord;
import io.cairn.meta.MetaCommand;
import io.cairn.protocol.Checksums;
import io.cairn.protocol.PartitionStateMachine;
import io.cairn.protocol.ReplicaConfig;
import io.cairn.protocol.ReplicaStateMachine;
import io.cairn.protocol.Reply;
import io.cairn.protocol.Request;
import io.cairn.protocol.Status;
import io.cairn.protocol.erasure.BlockStamp;
import io.cairn.protocol.erasure.StripeCoder;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A deterministic simulation of a Cairn cluster: nodes running the production replication
 * protocol ({@link ReplicaStateMachine}, executed by {@link SimHost}), the real meta state machine
 * and leader round ({@link SimMeta}), a client writing, reading and deleting through random nodes
 * in a replicated and an erasure-coded pool, and faults chosen by one seed: crashes that lose
 * unsynced writes, isolation, one-way and partial cuts, message loss, delay and reordering, full
 * and slow disks, flipped bits, and the meta service unavailable for a while.
 *
 * <p>It checks all along that no two nodes sequence writes of one partition in one epoch, that no
 * version is sequenced twice, and that no read returns bytes other than those written (a torn
 * stripe never decodes into an answer); then it heals every fault and requires the cluster to
 * reach full redundancy (every holder with an intact copy or block of every record at the
 * primary's version, no under-protected mark left, no stray copy) within a bound, with every
 * acknowledged write in place. {@link #run} returns the outcome; a failure names the command that
 * replays it.
 */
public final class Simulation {

    /** What one run is: the seed decides everything else. */
    /**
     * @param sites the nodes take the sites in turn ({@code site1}, {@code site2}, ...); with two or
     *              more, a step may also lose a whole site (every node crashed) or cut it off (from
     *              the other sites, and from the meta service or not) for a while, with no other fault at the same time
     */
    public record Config(long seed, int nodes, int steps, int faulty, int sites) {
        public Config(long seed, int nodes, int steps, int faulty) {
            this(seed, nodes, steps, faulty, 1);
        }

        public Config {
            if (sites < 1 || sites > nodes) {
                throw new IllegalArgumentException("sites must be 1.." + nodes + " for " + nodes + " nodes: " + sites);
            }
            if (nodes < 1 || nodes > 64) {
                throw new IllegalArgumentException("nodes must be 1..64: " + nodes);
            }
            if (faulty < 0 || faulty >= nodes) {
                throw new IllegalArgumentException("faulty must be 0.." + (nodes - 1) + " for " + nodes + " nodes: " + faulty);
            }
            if (steps < 0) {
                throw new IllegalArgumentException("steps must be >= 0: " + steps);
            }
        }

        public String command() {
            return "./cairn sim --seed " + seed + " --nodes " + nodes + " --steps " + steps + " --faulty " + faulty
                    + (sites > 1 ? " --sites " + sites : "");
        }
    }

    /**
     * What a run found: {@code violations} of safety (two primaries in an epoch, a version
     * sequenced twice, wrong bytes read, an acknowledged write lost, a replica that stopped on a
     * broken invariant), and {@code unhealed}, why the cluster did not reach full redundancy within
     * the bound after the faults were healed.
     */
    public record Outcome(Config config, List<String> violations, List<String> unhealed, Map<String, Long> figures) {
        public boolean ok() {
            return violations.isEmpty() && unhealed.isEmpty();
        }
    }

    static final PlacementFunction PLACEMENT = PlacementFunction.rendezvous();
    static final String REP_POOL = "rep3";
    static final int REP_PARTITIONS = 16;
    static final int EC_PARTITIONS = 8;
    /** Most keys a run writes; each run draws how many (few keys: more writes and reads meet on one key). */
    static final int KEYS_MAX = 48;
    static final long HEARTBEAT_MILLIS = 500;
    static final long RPC_TIMEOUT_MILLIS = 2_000;
    static final long DOWN_AFTER_MILLIS = 3_000;
    static final long DOWN_OUT_INTERVAL_MILLIS = 8_000;
    static final double FULL_RATIO = 0.90;
    static final long CAPACITY_BYTES = 96 * 1024;
    static final long RECOVERY_BYTES_PER_SECOND = 16 * 1024;
    static final long SCRUB_BYTES_PER_SECOND = 4 * 1024;
    static final long SCRUB_PAUSE_MILLIS = 5_000;
    /** Simulated time from the end of the faults by which every partition must be at full redundancy. */
    static final long HEAL_BOUND_MILLIS = 90_000;
    /** A client request that gets no answer in this time is given up (and not acknowledged). */
    static final long CLIENT_TIMEOUT_MILLIS = 5_000;

    private final Config config;
    private final SimWorld world;
    private final SimNetwork network;
    final SimMeta meta;
    private final String ecPool;
    private final StoragePolicy ecPolicy;
    private final int minCopies;
    /** Keys of the replicated pool this run writes. */
    private final int keys;
    /** The keys acknowledged most recently, newest last (reads go after them: a stale read shows there). */
    private final java.util.ArrayDeque<String> recentlyAcknowledged = new java.util.ArrayDeque<>();
    private final Map<String, SimHost> hosts = new LinkedHashMap<>();
    private final Map<Long, PlacementTable> placements = new HashMap<>();
    private final List<String> violations = new ArrayList<>();

    /** Which node first stored a version of a partition in each epoch: the epoch's sequencer. */
    private final Map<String, String> sequencerOf = new HashMap<>();
    /** What was sequenced at each version of each partition. */
    private final Map<String, Written> sequenced = new HashMap<>();
    /** Every value the client sent for each key (replicated values and erasure-coded chunks). */
    private final Map<String, List<byte[]>> sent = new HashMap<>();
    /** The newest acknowledged version of each key. */
    private final Map<String, Version> acknowledged = new HashMap<>();
    /** Each node's disturbances under way (crash, cut, marked down) and when its last one ended. */
    private final Map<String, Integer> disturbances = new HashMap<>();
    private final Map<String, Long> lastDisturbanceEnd = new HashMap<>();
    /** Nodes the meta service's map holds as down right now. */
    private final java.util.Set<String> markedDown = new java.util.HashSet<>();
    /** When each version first landed (was sequenced), and on which node. */
    private final Map<String, Long> sequencedAt = new HashMap<>();
    private final Map<String, String> sequencedBy = new HashMap<>();
    /** The newest acknowledged write of each key: its version, when the client heard, and the nodes that held it then. */
    private record Ack(PartitionId partition, Version version, long at, java.util.Set<String> holders) {}
    private final Map<String, Ack> acks = new HashMap<>();
    /** How to end each cut still under way (the heal ends them all at once). */
    private final List<Runnable> cutsUnderWay = new ArrayList<>();
    private int nextChunk;
    private final List<String> chunks = new ArrayList<>();
    private final Map<String, Long> figures = new LinkedHashMap<>();
    private long healedAfterMillis = -1;
    /** When each version of each partition landed on each node's disk (key: partition@version@node). */
    private final Map<String, Long> landedOn = new HashMap<>();
    /** The backup site the primaries ship the cuts to, or null (shipping off). */
    private final SimBackup backup;
    /** The draws of the link to the backup site: apart from the world's, so that runs without one stay as they were. */
    private final java.util.SplittableRandom backupRandom;
    /** Whether the link to the backup site is cut now. */
    private boolean backupLinkCut;
    private boolean healed;
    /** How often rounds of consistent cuts run (0: off). */
    private final long cutIntervalMillis;
    /** Every write the client heard was done: its partition, version, when it was sent and when it was answered. */
    private final List<AckedWrite> ackedWrites = new ArrayList<>();

    private record AckedWrite(PartitionId partition, String key, Version version, long sentAt, long ackedAt) {}

    /**
     * What a version holds: its key and whether it is a deletion, the bytes of a replicated record
     * (or, for a block of a stripe, the chunk's length and CRC32C), and its metadata's checksum.
     */
    private record Written(String key, boolean tombstone, byte[] value, int chunkLength, int chunkCrc, int metaCrc) {
        boolean sameAs(Written o) {
            return key.equals(o.key) && tombstone == o.tombstone && chunkLength == o.chunkLength && chunkCrc == o.chunkCrc
                    && metaCrc == o.metaCrc && Arrays.equals(value, o.value);
        }
    }

    public Simulation(Config config) {
        this.config = config;
        this.world = new SimWorld(config.seed());
        this.network = new SimNetwork(world);
        this.meta = new SimMeta(world, network, DOWN_AFTER_MILLIS, DOWN_OUT_INTERVAL_MILLIS, FULL_RATIO);
        this.meta.onMapChange(this::mapChanged);
        // The erasure-coded pool tolerates what the run may do to it: as many lost blocks as nodes may
        // be faulty at once, plus one for a flipped bit (the faults injected stay within what the design
        // promises to survive). With few nodes that leaves k = 1.
        int parity = Math.max(1, Math.min(config.faulty() + 1, config.nodes() - 1));
        this.ecPolicy = StoragePolicy.erasureCoded(Math.max(1, Math.min(3, config.nodes() - parity)), parity);
        this.ecPool = ecPolicy.toString();
        this.minCopies = 1 + world.random.nextInt(2);
        this.keys = 4 + world.random.nextInt(KEYS_MAX - 3);
        // Consistent cuts in half of the runs (by seed, so that the other draws stay as they were).
        java.util.SplittableRandom cutDraw = new java.util.SplittableRandom(config.seed() ^ 0x5eedc075L);
        boolean cutsOn = cutDraw.nextBoolean();
        long interval = 100 + cutDraw.nextInt(400);
        String forced = System.getProperty("cairn.sim.cuts", "");
        this.cutIntervalMillis = forced.equals("off") || !forced.equals("on") && !cutsOn ? 0 : interval;
        // Shipping to a backup site in half of the runs with cuts (its own draws, apart from the world's).
        boolean shipOn = cutDraw.nextBoolean();
        String forcedShipping = System.getProperty("cairn.sim.shipping", "");
        boolean shipping = cutIntervalMillis > 0 && (forcedShipping.equals("on") || !forcedShipping.equals("off") && shipOn);
        this.backupRandom = new java.util.SplittableRandom(config.seed() ^ 0xbac6a9L);
        ReplicaConfig replica = new ReplicaConfig(CAPACITY_BYTES, HEARTBEAT_MILLIS, RPC_TIMEOUT_MILLIS, RECOVERY_BYTES_PER_SECOND,
                SCRUB_BYTES_PER_SECOND, SCRUB_PAUSE_MILLIS, minCopies, 1_000, 5_000, 2, 3, DOWN_AFTER_MILLIS, cutIntervalMillis, shipping);
        List<NodeInfo> infos = new ArrayList<>();
        for (int i = 0; i < config.nodes(); i++) {
            String id = "n" + i;
            NodeInfo info = new NodeInfo(id, siteOf(i), "zone" + (i % 3), id + ":9000", id + ":9100", null, CAPACITY_BYTES, NodeState.UP, true);
            infos.add(info);
            hosts.put(id, new SimHost(id, info, new SimStore.Disk(CAPACITY_BYTES), world, network, meta, replica, this));
        }
        meta.submit(new MetaCommand.Bootstrap("sim-" + config.seed(), List.of(new PoolInfo(REP_POOL, StoragePolicy.replicated(3), REP_PARTITIONS)),
                new UserInfo("SIMACCESSKEY0000", "sim-secret-key-0000000000000000000000000", "root", true)));
        if (ecPolicy.width() <= config.nodes()) {
            meta.submit(new MetaCommand.CreatePool(new PoolInfo(ecPool, ecPolicy, EC_PARTITIONS)));
        }
        for (NodeInfo info : infos) {
            meta.submit(new MetaCommand.RegisterNode(info));
        }
        if (shipping) {
            java.util.Set<PartitionId> all = new java.util.TreeSet<>();
            for (int i = 0; i < REP_PARTITIONS; i++) {
                all.add(new PartitionId(REP_POOL, i));
            }
            // Replicated pools only (see Shipping).
            this.backup = new SimBackup(all);
        } else {
            this.backup = null;
        }
    }

    /** Runs the simulation of {@code config}. */
    public static Outcome run(Config config) {
        return run(config, null);
    }

    /** Runs the simulation of {@code config}, writing a line per event of note to {@code trace} (if not null). */
    public static Outcome run(Config config, java.io.PrintStream trace) {
        Simulation sim = new Simulation(config);
        sim.world.traceTo = trace;
        return sim.run();
    }

    private boolean ecEnabled() {
        return ecPolicy.width() <= config.nodes();
    }

    private Outcome run() {
        meta.start();
        for (SimHost h : hosts.values()) {
            h.start();
        }
        if (backup != null) {
            scheduleBackupLinkFault();
        }
        world.runUntil(3_000); // the cluster settles
        for (int step = 0; step < config.steps() && violations.isEmpty(); step++) {
            step();
            world.runUntil(world.now() + world.randomBetween(10, 80));
        }
        heal();
        long healedAt = world.now();
        while (violations.isEmpty() && world.now() - healedAt < HEAL_BOUND_MILLIS) {
            world.runUntil(world.now() + 500);
            if (fullyRedundant().isEmpty()) {
                healedAfterMillis = world.now() - healedAt;
                break;
            }
        }
        List<String> unhealed = new ArrayList<>();
        if (violations.isEmpty()) {
            if (healedAfterMillis < 0) {
                List<String> recovering = new ArrayList<>();
                meta.state().stats().forEach((n, st) -> recovering.add(n + ":" + st.partitionsRecovering() + "@" + st.mapEpoch()));
                unhealed.add("not at full redundancy " + HEAL_BOUND_MILLIS + " ms after the faults were healed: " + fullyRedundant()
                        + " (meta: epoch " + meta.map().epoch() + ", settled " + meta.state().settled() + ", acting " + meta.map().acting()
                        + ", recovering " + recovering + ")");
            }
            checkAcknowledgedWrites();
        }
        if (violations.isEmpty()) {
            checkCuts();
            checkBackup();
        }
        return new Outcome(config, List.copyOf(violations), unhealed, figures());
    }

    // ---- the run's steps ----

    private void step() {
        double roll = world.random.nextDouble();
        List<SimHost> all = new ArrayList<>(hosts.values());
        SimHost some = all.get(world.random.nextInt(all.size()));
        if (roll < 0.30) {
            put(key(world.random.nextInt(keys)), false);
        } else if (roll < 0.45) {
            get(readKey());
        } else if (roll < 0.49) {
            put(key(world.random.nextInt(keys)), true);
        } else if (roll < 0.61) {
            putChunk();
        } else if (roll < 0.70) {
            readChunk();
        } else if (roll < 0.73) {
            getChunkAtPrimary();
        } else if (roll < 0.75) {
            deleteChunk();
        } else if (roll < 0.79) {
            if (some.alive() && faultyFree(some)) {
                crash(some);
                restartAfter(some, world.randomBetween(100, 2 * DOWN_OUT_INTERVAL_MILLIS));
            }
        } else if (roll < 0.85) {
            cut(some);
        } else if (roll < 0.87) {
            network.lossRate = world.random.nextDouble() < 0.5 ? 0 : world.random.nextDouble() * 0.2;
            network.straggleRate = world.random.nextDouble() < 0.5 ? 0 : world.random.nextDouble() * 0.03;
            // Now and then a slow network: messages (a mirror, say) arrive seconds late, after the map moved on.
            network.delayMaxMillis = world.random.nextInt(10) == 0 ? 500 + world.random.nextInt(2500) : 5 + world.random.nextInt(200);
        } else if (roll < 0.89) {
            SimStore.Disk disk = some.store().disk();
            if (disk.capacityBytes() == CAPACITY_BYTES) {
                disk.setCapacityBytes(disk.usedBytes());
                world.trace(some.id, "disk full");
                count("full_disks");
                world.after(world.randomBetween(500, 5_000), () -> disk.setCapacityBytes(CAPACITY_BYTES));
            }
        } else if (roll < 0.91) {
            if (world.now() >= some.slowUntil) {
                some.slowSyncMillis = world.randomBetween(500, 3_000);
                some.slowUntil = world.now() + world.randomBetween(1_000, 8_000);
                world.trace(some.id, "disk slow: every fsync stalls " + some.slowSyncMillis + " ms");
                count("slow_disks");
            }
        } else if (roll < 0.92) {
            meta.unavailableFor(world.randomBetween(500, 5_000));
        } else if (roll < 0.95 && config.sites() > 1) {
            siteFault("site" + (1 + world.random.nextInt(config.sites())));
        } else {
            flipBit(some);
        }
    }

    /** Node i's site: the nodes take the sites in turn. */
    private String siteOf(int i) {
        return "site" + (i % config.sites() + 1);
    }

    /** While a whole site is lost or cut off: no other fault starts. */
    private boolean siteFaultUnderWay;
    /**
     * While only the link between the sites is cut, from 3 s after it began: where that was in
     * {@link SimMeta#takenOutByPeers}; else -1.
     */
    private int linkCutFrom = -1;
    /** How many of the nodes taken out since {@link #linkCutFrom} have been checked. */
    private int checkedTakenOut;

    /**
     * Loses site {@code site} for a while, when nothing else is faulty: every node of it crashes
     * (started again later), or it is cut off from the nodes of the other sites, and from the meta
     * service or not (its nodes still reach each other). Placement keeps a copy of every replicated
     * record in each site, so the other sites keep serving what they hold.
     */
    private void siteFault(String site) {
        if (siteFaultUnderWay || !network.affected().isEmpty() || hosts.values().stream().anyMatch(h -> !h.alive())) {
            return;
        }
        List<SimHost> inSite = hosts.values().stream().filter(h -> h.info.site().equals(site)).toList();
        if (inSite.isEmpty() || inSite.size() == hosts.size()) {
            return;
        }
        siteFaultUnderWay = true;
        long lasts = world.randomBetween(1_000, 2 * DOWN_OUT_INTERVAL_MILLIS);
        inSite.forEach(h -> disturb(h.id));
        Runnable undo;
        if (world.random.nextBoolean()) {
            world.trace("sim", site + " lost: every node of it crashes for " + lasts + " ms");
            count("sites_lost");
            inSite.forEach(SimHost::crash);
            undo = () -> inSite.forEach(h -> {
                if (!h.alive()) {
                    h.start();
                }
            });
        } else {
            // Cut off from everything else, or only from the other sites' nodes (the link between
            // the sites cut, both sides still reaching the meta service's tie-breaker).
            boolean linkOnly = world.random.nextBoolean();
            world.trace("sim", site + " cut off from the other sites" + (linkOnly ? " (it still reaches the meta service)" : " and the meta service")
                    + " for " + lasts + " ms");
            count(linkOnly ? "site_links_cut" : "sites_cut");
            List<String> cut = new ArrayList<>();
            for (SimHost a : inSite) {
                if (!linkOnly) {
                    network.cutFromMeta.add(a.id);
                }
                for (SimHost b : hosts.values()) {
                    if (!b.info.site().equals(site)) {
                        cut.add(a.id + ">" + b.id);
                        cut.add(b.id + ">" + a.id);
                    }
                }
            }
            network.links.addAll(cut);
            if (linkOnly) {
                // Peers suspect a node after 3 s of silence: nodes taken out before then were taken out for an earlier fault.
                world.after(3_000, () -> {
                    if (network.links.containsAll(cut)) {
                        linkCutFrom = meta.takenOutByPeers.size();
                        checkedTakenOut = 0;
                    }
                });
            }
            undo = () -> {
                linkCutFrom = -1;
                network.links.removeAll(cut);
                inSite.forEach(h -> network.cutFromMeta.remove(h.id));
            };
        }
        boolean[] undone = {false};
        Runnable end = () -> {
            if (!undone[0]) {
                undone[0] = true;
                undo.run();
                inSite.forEach(h -> settle(h.id));
                siteFaultUnderWay = false;
                world.trace("sim", site + " back");
            }
        };
        cutsUnderWay.add(end);
        world.after(lasts, end);
    }

    /** Whether one more node may be made faulty without going past the run's bound. */
    private boolean faultyFree(SimHost candidate) {
        if (siteFaultUnderWay) {
            return false;
        }
        java.util.Set<String> faulty = new java.util.HashSet<>(network.affected());
        for (SimHost h : hosts.values()) {
            if (!h.alive()) {
                faulty.add(h.id);
            }
        }
        return faulty.contains(candidate.id) || faulty.size() < config.faulty();
    }

    /** A network fault around {@code x}: isolation, its cluster port closed, a one-way link, or a cut from meta only. */
    private void cut(SimHost x) {
        if (!x.alive() || !faultyFree(x) || network.affected().contains(x.id)) {
            return;
        }
        long lasts = world.randomBetween(500, 2 * DOWN_OUT_INTERVAL_MILLIS);
        // Over two sites, half the cuts leave a node reaching its peers but not the meta service: it
        // is marked down while its read leases may still run (see writeWhereDropped).
        int kind = config.sites() > 1 ? world.random.nextInt(6) : world.random.nextInt(4);
        Runnable undo;
        switch (kind) {
            case 0 -> {
                network.isolated.add(x.id);
                undo = () -> network.isolated.remove(x.id);
                world.trace(x.id, "cut off from everyone");
            }
            case 1 -> {
                network.closedPorts.add(x.id);
                undo = () -> network.closedPorts.remove(x.id);
                world.trace(x.id, "cluster port closed: peers' requests to it are lost, its own go through");
            }
            case 2 -> {
                List<SimHost> others = hosts.values().stream().filter(h -> h != x).toList();
                if (others.isEmpty()) {
                    return;
                }
                SimHost from = others.get(world.random.nextInt(others.size()));
                String link = from.id + ">" + x.id;
                network.links.add(link);
                undo = () -> network.links.remove(link);
                world.trace(x.id, "one-way cut: " + from.id + " cannot send to it");
            }
            default -> {
                network.cutFromMeta.add(x.id);
                undo = () -> network.cutFromMeta.remove(x.id);
                world.trace(x.id, "cut from the meta service; it still reaches its peers");
            }
        }
        count("cuts");
        List<String> hit = new ArrayList<>(network.affected().contains(x.id) ? List.of(x.id) : List.of());
        for (String l : network.links) {
            if (l.endsWith(">" + x.id)) {
                hit.add(l.substring(0, l.indexOf('>')));
            }
        }
        hit.forEach(this::disturb);
        boolean[] undone = {false};
        Runnable end = () -> {
            if (!undone[0]) {
                undone[0] = true;
                undo.run();
                hit.forEach(this::settle);
                world.trace(x.id, "cut healed");
            }
        };
        cutsUnderWay.add(end);
        world.after(lasts, end);
    }

    private void flipBit(SimHost some) {
        if (!some.alive()) {
            return;
        }
        List<PartitionId> held = new ArrayList<>(some.store().partitions());
        if (held.isEmpty()) {
            return;
        }
        PartitionId p = held.get(world.random.nextInt(held.size()));
        List<String> keys = new ArrayList<>(some.store().records(p).keySet());
        String key = keys.get(world.random.nextInt(keys.size()));
        StoredRecord target = some.store().records(p).get(key);
        if (target.tombstone() || target.blobLength() == 0) {
            return;
        }
        // Only within what the design promises to survive: a bit flips in a record whose every holder is up
        // with an intact copy (or block, in its own slot), so that the faulty nodes the run may add on top of
        // this one damaged copy are still within the pool's tolerance.
        boolean ec = !p.pool().equals(REP_POOL);
        ClusterMap map = meta.map();
        PartitionPlacement pp = placement(map).of(p);
        boolean whole = pp.holders().size() == (ec ? ecPolicy.width() : 3);
        for (int slot = 0; slot < pp.holders().size() && whole; slot++) {
            SimHost h = hosts.get(pp.holders().get(slot));
            StoredRecord copy = h.store().records(p).get(key);
            whole = h.alive() && map.node(h.id).map(NodeInfo::isUp).orElse(false) && copy != null
                    && copy.version().equals(target.version()) && h.store().intact(p, key)
                    && (!ec || BlockStamp.parse(copy.meta()).index() == slot);
        }
        boolean tolerated = !ec || ecPolicy.parityBlocks() > config.faulty();
        if (whole && tolerated && pp.holders().contains(some.id) && some.store().flipBit(p, key, world.random.nextInt())) {
            world.trace(some.id, "bit flipped in " + p + " " + key + " at " + target.version());
            count("bit_flips");
        }
    }

    private static String key(int i) {
        return "key-" + i;
    }

    private static PartitionId partitionOf(String key) {
        return new PartitionId(REP_POOL, PartitionHash.partitionOf(key, REP_PARTITIONS));
    }

    private PartitionId chunkPartition(String key) {
        return new PartitionId(ecPool, PartitionHash.partitionOf(key, EC_PARTITIONS));
    }

    /** A client PUT (or DELETE) of a replicated key through a random node; acknowledged when that node answers OK. */
    private void put(String key, boolean delete) {
        put(key, delete, randomAlive(), () -> { });
    }

    /** As above, through {@code gateway}; {@code then} runs once the client hears the write is done. */
    private void put(String key, boolean delete, SimHost gateway, Runnable then) {
        if (gateway == null || !gateway.alive()) {
            return;
        }
        byte[] value = delete ? null : randomBytes(8, 120);
        if (value != null) {
            sent.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
        }
        count(delete ? "deletes" : "puts");
        ByteBuffer blob = value == null ? null : ByteBuffer.wrap(value);
        Request.Apply apply = new Request.Apply(gateway.replica().epoch(), partitionOf(key), key, delete, new byte[0], blob,
                blob == null ? 0 : Checksums.crc32c(blob), 0, null);
        long sentAt = world.now();
        once(gateway, apply, (Reply r) -> {
            world.trace("client", (delete ? "DELETE " : "PUT ") + key + " through " + gateway.id + ": " + describe(r));
            if (r instanceof Reply.ApplyReply a && a.status() == Status.OK) {
                acknowledged(partitionOf(key), key, a.version(), sentAt);
                then.run();
            }
        });
    }

    /** A client GET at the primary through a random node: the bytes must be what was written at the version read. */
    private void get(String key) {
        SimHost gateway = randomAlive();
        if (gateway == null) {
            return;
        }
        Version ackedBefore = acknowledged.get(key);
        Ack ack = acks.get(key);
        int kind = world.random.nextInt(6);
        if (kind < 2) {
            settledGet(gateway, key, ackedBefore, ack, false);
            return;
        }
        if (kind == 2) {
            settledGet(gateway, key, ackedBefore, ack, true);
            return;
        }
        getAtPrimary(key, gateway);
    }

    /** A client GET of {@code key} at its primary through {@code gateway}. */
    private void getAtPrimary(String key, SimHost gateway) {
        if (gateway == null || !gateway.alive()) {
            return;
        }
        Version ackedBefore = acknowledged.get(key);
        Ack ack = acks.get(key);
        count("gets");
        long sentAt = world.now();
        once(gateway, new Request.Get(gateway.replica().epoch(), partitionOf(key), key, true, false, 0), (Reply r) -> {
            world.trace("client", "GET " + key + " through " + gateway.id + ": " + describe(r));
            if (r instanceof Reply.GetReply g && g.status() == Status.OK) {
                count("gets_ok");
                checkRecord(partitionOf(key), key, g.record(), "GET through " + gateway.id);
                if (ackedBefore != null && ackedBefore.isAfter(g.record().version())) {
                    staleRead(key, ack, g.epoch(), "GET through " + gateway.id + " returned " + g.record().version());
                }
                readAtPrimary(key, g, sentAt, "GET through " + gateway.id);
                Version heard = acknowledged.get(key);
                if (heard == null || g.record().version().isAfter(heard)) {
                    crashAfterUnacknowledgedRead(key, g.record().version());
                }
            } else if (r instanceof Reply.GetReply g && g.status() == Status.NOT_FOUND) {
                if (ackedBefore != null) {
                    staleRead(key, ack, g.epoch(), "GET through " + gateway.id + " found nothing");
                }
                readAtPrimary(key, g, sentAt, "GET through " + gateway.id);
            }
        });
    }

    /**
     * A read at the primary just showed a write whose client has not heard it is done. In half of
     * such reads the primary crashes at once (when one more faulty node is allowed), losing what it
     * had just sent (its mirrors of that write, perhaps), and the key
     * is read at its primary again once another may have taken over: a primary that showed writes
     * before they were decided would lose there what a reader saw ({@link #readAtPrimary}).
     */
    private void crashAfterUnacknowledgedRead(String key, Version shown) {
        if (world.random.nextInt(2) != 0) {
            return;
        }
        ClusterMap map = meta.map();
        SimHost primary = placement(map).of(partitionOf(key)).primary(map).map(hosts::get).orElse(null);
        long downFor = world.randomBetween(100, 2 * DOWN_OUT_INTERVAL_MILLIS);
        long readAgainAfter = world.randomBetween(1_000, 6_000);
        // Once the event under way is through (the node that answered may be the one crashing).
        world.after(0, () -> {
            if (primary == null || !primary.alive() || !faultyFree(primary)) {
                return;
            }
            world.trace("sim", primary.id + " crashes right after a read there showed " + key + " at " + shown
                    + ", not acknowledged yet; what it sent in the last " + SimNetwork.SEND_QUEUE_MILLIS + " ms is lost with it");
            network.loseSendQueues(primary.id);
            crash(primary);
            count("crashes_after_unacknowledged_reads");
            restartAfter(primary, downFor);
            world.after(readAgainAfter, () -> getAtPrimary(key, randomAlive()));
        });
    }

    /** A crash of {@code node}, counted and disturbing it until {@link #restartAfter} starts it again. */
    private void crash(SimHost node) {
        node.crash();
        disturb(node.id);
        count("crashes");
    }

    /** Starts {@code node}, crashed by {@link #crash}, again in {@code millis} (unless it was started meanwhile). */
    private void restartAfter(SimHost node, long millis) {
        world.after(millis, () -> {
            if (!node.alive()) {
                node.start();
                settle(node.id);
            }
        });
    }

    /** By node, when it crashed (the simulation's crashes and a replica that stopped on a broken invariant). */
    private final Map<String, List<Long>> crashedAt = new HashMap<>();

    void crashed(String node) {
        crashedAt.computeIfAbsent(node, x -> new ArrayList<>()).add(world.now());
    }

    /** Whether the node that sequenced {@code p@v} crashed after it did and at or before {@code until}. */
    private boolean sequencerCrashedSince(PartitionId p, Version v, long until) {
        String key = p + "@" + v;
        Long at = sequencedAt.get(key);
        String by = sequencedBy.get(key);
        return at != null && by != null && crashedAt.getOrDefault(by, List.of()).stream().anyMatch(t -> t >= at && t <= until);
    }

    /** A version a read at a primary returned: when, and what read it. */
    private record Seen(Version version, boolean tombstone, long at, String how) {}

    /** By key, the newest version a read at a primary in the meta service's epoch returned. */
    private final Map<String, Seen> seenAtPrimary = new HashMap<>();
    /** Writes ({@code partition@version}) a node has answered (done or failed), and when one first did. */
    private final Map<String, Long> writesAnswered = new HashMap<>();

    /** A node answered the write of {@code v} in {@code p}, as done or as failed. */
    void writeAnswered(PartitionId p, Version v) {
        writesAnswered.putIfAbsent(p + "@" + v, world.now());
    }

    /**
     * A read at the primary shows a write only once its writer has been answered: what a reader saw
     * is then either acknowledged (and {@link #staleRead} holds it to that) or answered as failed
     * (it may be lost). A version a read returned that a later read no longer finds (an older one
     * returned, or none) must have been answered before the first read came back; otherwise the
     * primary showed a write still on its way to its mirrors, and lost it with them. Left out: a
     * version whose primary crashed and started again before the read (its writer is never
     * answered; the restarted primary has it on its disk alone until its holders catch up). Reads of a
     * primary whose map is behind are left out, as {@link #staleRead} leaves them, and so is a read
     * sent before the one that saw the newer version came back (the two overlap: either may be
     * served first).
     */
    private void readAtPrimary(String key, Reply.GetReply g, long sentAt, String how) {
        if (g.epoch() < meta.map().epoch()) {
            return;
        }
        Seen before = seenAtPrimary.get(key);
        io.cairn.protocol.LogRecord now = g.status() == Status.OK ? g.record() : null;
        if (before != null && sentAt > before.at() && (now == null ? !before.tombstone() : before.version().isAfter(now.version()))) {
            Long answered = writesAnswered.get(partitionOf(key) + "@" + before.version());
            if ((answered == null || answered > before.at()) && !sequencerCrashedSince(partitionOf(key), before.version(), before.at())) {
                violation(how + " of " + key + " returned " + (now == null ? "nothing" : now.version()) + ", older than "
                        + before.version() + ", which " + before.how() + " returned at t=" + before.at()
                        + " ms before its writer was answered");
            }
        }
        if (now != null && (before == null || now.version().isAfter(before.version()))) {
            seenAtPrimary.put(key, new Seen(now.version(), now.tombstone(), world.now(), how));
        }
    }

    /**
     * The read a gateway falls back on when a primary cannot be reached: a random up holder of the
     * gateway's map answers from its own copy, only if that copy has settled. It must never miss
     * an acknowledged write where a read at the primary could not (the same {@link #staleRead} rule).
     */
    private void settledGet(SimHost gateway, String key, Version ackedBefore, Ack ack, boolean leased) {
        ClusterMap map = gateway.replica().map();
        if (map.pool(partitionOf(key).pool()).isEmpty()) {
            return; // no map yet
        }
        List<String> up = placement(map).of(partitionOf(key)).upHolders(map);
        if (up.isEmpty()) {
            return;
        }
        settledGetAt(gateway, hosts.get(up.get(world.random.nextInt(up.size()))), key, ackedBefore, ack, leased);
    }

    /** A settled (or leased) read of {@code key} at {@code holder}, on {@code gateway}'s map. */
    private void settledGetAt(SimHost gateway, SimHost holder, String key, Version ackedBefore, Ack ack, boolean leased) {
        ClusterMap map = gateway.replica().map();
        if (!holder.alive()) {
            return;
        }
        String what = leased ? "leased GET" : "settled GET";
        count(leased ? "leased_gets" : "settled_gets");
        once(holder, new Request.Get(map.epoch(), partitionOf(key), key, true, true, 0, true, leased), (Reply r) -> {
            world.trace("client", what + " " + key + " at " + holder.id + " (for " + gateway.id + "): " + describe(r));
            if (r instanceof Reply.GetReply g && g.status() == Status.OK) {
                count(leased ? "leased_gets_ok" : "settled_gets_ok");
                checkRecord(partitionOf(key), key, g.record(), what + " at " + holder.id);
                if (ackedBefore != null && ackedBefore.isAfter(g.record().version())) {
                    staleRead(key, ack, leased, g.epoch(), what + " at " + holder.id + " returned " + g.record().version());
                }
            } else if (r instanceof Reply.GetReply g && g.status() == Status.NOT_FOUND && ackedBefore != null) {
                staleRead(key, ack, leased, g.epoch(), what + " at " + holder.id + " found nothing");
            }
        });
    }

    /** A client PUT of a new erasure-coded chunk (or, now and then, a new version of one) through a random node. */
    private void putChunk() {
        SimHost gateway = randomAlive();
        if (gateway == null || !ecEnabled()) {
            return;
        }
        String key = !chunks.isEmpty() && world.random.nextInt(5) == 0 ? chunks.get(world.random.nextInt(chunks.size()))
                : "chunk-" + nextChunk++;
        if (!chunks.contains(key)) {
            chunks.add(key);
        }
        byte[] value = randomBytes(16, 300);
        sent.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
        count("chunk_puts");
        ByteBuffer blob = ByteBuffer.wrap(value);
        byte[] meta = ("inner " + key).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Request.Apply apply = new Request.Apply(gateway.replica().epoch(), chunkPartition(key), key, false, meta, blob,
                Checksums.crc32c(blob), 0, null);
        long sentAt = world.now();
        once(gateway, apply, (Reply r) -> {
            world.trace("client", "PUT chunk " + key + " through " + gateway.id + ": " + describe(r));
            if (r instanceof Reply.ApplyReply a && a.status() == Status.OK) {
                acknowledged(chunkPartition(key), key, a.version(), sentAt);
            }
        });
    }

    private void deleteChunk() {
        SimHost gateway = randomAlive();
        if (gateway == null || chunks.isEmpty()) {
            return;
        }
        String key = chunks.get(world.random.nextInt(chunks.size()));
        count("deletes");
        long sentAt = world.now();
        once(gateway, new Request.Apply(gateway.replica().epoch(), chunkPartition(key), key, true, new byte[0], null, 0, 0, null), (Reply r) -> {
            world.trace("client", "DELETE chunk " + key + " through " + gateway.id + ": " + describe(r));
            if (r instanceof Reply.ApplyReply a && a.status() == Status.OK) {
                acknowledged(chunkPartition(key), key, a.version(), sentAt);
            }
        });
    }

    /** A gateway's read of a chunk (whole or a range) from the holders of its stripe. */
    private void readChunk() {
        SimHost gateway = randomAlive();
        if (gateway == null || chunks.isEmpty()) {
            return;
        }
        String key = chunks.get(world.random.nextInt(chunks.size()));
        List<byte[]> values = sent.get(key);
        byte[] some = values.get(world.random.nextInt(values.size()));
        int length = some.length;
        boolean whole = world.random.nextBoolean();
        int offset = whole ? 0 : world.random.nextInt(length);
        int span = whole ? length : 1 + world.random.nextInt(length - offset);
        count("chunk_reads");
        once(gateway, new Request.ReadStripe(gateway.replica().epoch(), chunkPartition(key), key, length, offset, span), (Reply r) -> {
            world.trace("client", "READ chunk " + key + " [" + offset + "+" + span + "] through " + gateway.id + ": " + describe(r));
            if (r instanceof Reply.StripeReply s && s.status() == Status.OK) {
                count("chunk_reads_ok");
                byte[] got = bytes(s.data());
                boolean matches = false;
                for (byte[] v : values) {
                    if (v.length == length && Arrays.equals(Arrays.copyOfRange(v, offset, offset + span), got)) {
                        matches = true;
                        break;
                    }
                }
                if (!matches) {
                    violation("a stripe read of " + key + " [" + offset + "+" + span + "] through " + gateway.id
                            + " returned bytes no write of it ever held");
                }
            }
        });
    }

    /** A read of a whole chunk at its partition's primary, which assembles it from the stripe. */
    private void getChunkAtPrimary() {
        SimHost gateway = randomAlive();
        if (gateway == null || chunks.isEmpty()) {
            return;
        }
        String key = chunks.get(world.random.nextInt(chunks.size()));
        count("chunk_gets");
        once(gateway, new Request.Get(gateway.replica().epoch(), chunkPartition(key), key, true, false, 0), (Reply r) -> {
            world.trace("client", "GET chunk " + key + " through " + gateway.id + ": " + describe(r));
            if (r instanceof Reply.GetReply g && g.status() == Status.OK) {
                count("chunk_gets_ok");
                checkRecord(chunkPartition(key), key, g.record(), "GET of chunk through " + gateway.id);
            }
        });
    }

    /** Gives {@code request} to {@code gateway} as its S3 front end would, passing the first answer (or null at the timeout) on. */
    private void once(SimHost gateway, Request request, Consumer<Reply> onAnswer) {
        boolean[] answered = {false};
        gateway.receive(request, r -> {
            if (!answered[0]) {
                answered[0] = true;
                onAnswer.accept(r);
            }
        });
        world.after(CLIENT_TIMEOUT_MILLIS, () -> {
            if (!answered[0]) {
                answered[0] = true;
                onAnswer.accept(null);
            }
        });
    }

    private static String describe(Reply r) {
        if (r == null) {
            return "no answer";
        }
        return switch (r) {
            case Reply.ApplyReply a -> a.status() + " " + a.version() + (a.kept() ? " (kept)" : "") + (a.message().isEmpty() ? "" : ": " + a.message());
            case Reply.GetReply g -> g.status() + (g.record() == null ? "" : " " + g.record().version()) + (g.message().isEmpty() ? "" : ": " + g.message());
            default -> r.status() + (r.message().isEmpty() ? "" : ": " + r.message());
        };
    }

    private byte[] randomBytes(int min, int max) {
        byte[] b = new byte[min + world.random.nextInt(max - min)];
        world.random.nextBytes(b);
        return b;
    }

    private static byte[] bytes(ByteBuffer data) {
        byte[] b = new byte[data.remaining()];
        data.duplicate().get(b);
        return b;
    }

    private SimHost randomAlive() {
        List<SimHost> alive = hosts.values().stream().filter(h -> h.alive() && h.replica().epoch() > 0).toList();
        return alive.isEmpty() ? null : alive.get(world.random.nextInt(alive.size()));
    }

    private void heal() {
        world.trace("sim", "heals every fault");
        healed = true;
        backupLinkCut = false;
        new ArrayList<>(cutsUnderWay).forEach(Runnable::run);
        cutsUnderWay.clear();
        network.heal();
        meta.available();
        for (SimHost h : hosts.values()) {
            h.store().disk().setCapacityBytes(CAPACITY_BYTES);
            h.slowUntil = 0;
            if (!h.alive()) {
                h.start();
                settle(h.id);
            }
        }
    }

    // ---- what the hosts report to the checks ----

    /** A request from {@code from} to node {@code to} over the simulated network; {@code onReply} gets the reply if it comes back. */
    void deliver(String from, String to, Request request, Consumer<Reply> onReply) {
        SimHost target = hosts.get(to);
        if (target == null) {
            return;
        }
        Runnable send = () -> network.request(from, to, request, req -> target.receive(req, reply -> {
            if (req instanceof Request.PrepareCut c && reply.status() == Status.OK) {
                writeAcrossCut(to, c.round());
            }
            network.reply(to, from, reply, onReply);
        }));
        if (request instanceof Request.PrepareCut) {
            // Some nodes hear of a round well after others (a queue on the way, a busy node): the
            // window in which a node that answered must hold its acknowledgements back.
            world.after(world.randomBetween(0, 150), send);
        } else {
            send.run();
        }
    }

    /** By round of consistent cuts, the nodes that have answered it. */
    private final Map<Long, java.util.Set<String>> preparedBy = new HashMap<>();

    /**
     * Node {@code node} just answered round {@code round}: a write to a partition it is primary of
     * (outside the cut, so its acknowledgement must wait for the round's decision), and once the
     * client hears it is done, writes to partitions whose primaries have not answered yet (inside the
     * cut, if they land before those answer). A node that acknowledged the first before the round was
     * decided would make the cut show the later writes without the earlier one. Random writes seldom
     * fall in that window, a network delay long.
     */
    private void writeAcrossCut(String node, long round) {
        java.util.Set<String> answered = preparedBy.computeIfAbsent(round, r -> new java.util.TreeSet<>());
        answered.add(node);
        ClusterMap map = meta.map();
        if (map.pool(REP_POOL).isEmpty()) {
            return;
        }
        PlacementTable table = placement(map);
        String first = null;
        for (int i = 0; i < keys && first == null; i++) {
            if (table.of(partitionOf(key(i))).primary(map).filter(node::equals).isPresent()) {
                first = key(i);
            }
        }
        if (first == null) {
            return;
        }
        count("writes_across_cuts");
        put(first, false, hosts.get(node), () -> {
            java.util.Set<String> done = new java.util.TreeSet<>();
            for (int i = 0; i < keys; i++) {
                String key = key(i);
                java.util.Optional<String> primary = table.of(partitionOf(key)).primary(map);
                if (primary.isPresent() && !answered.contains(primary.get()) && done.add(primary.get())) {
                    put(key, false, hosts.get(primary.get()), () -> { });
                }
            }
        });
    }

    /**
     * {@code node} began a durable write of {@code m}. The first node to begin a version sequenced
     * it: a primary begins its own write in the step that sends the mirrors, and a mirror reaches
     * another node only after a network delay.
     */
    void begun(String node, PartitionId p, Mutation m) {
        if (world.tracing() && Boolean.getBoolean("cairn.sim.debug")) {
            world.trace(node, "store begins " + p + " " + m.key() + " at " + m.version());
        }
        String versionKey = p + "@" + m.version();
        if (sequencedAt.putIfAbsent(versionKey, world.now()) == null) {
            sequencedBy.put(versionKey, node);
            String epochKey = p + "@" + m.version().epoch();
            String other = sequencerOf.putIfAbsent(epochKey, node);
            if (other != null && !other.equals(node)) {
                violation("two primaries in one epoch: " + other + " and " + node + " both sequenced writes of " + p + " in epoch "
                        + m.version().epoch());
            }
        }
    }

    /** A mutation landed on {@code node}'s disk: every copy of one version must be the same write. */
    void landed(String node, PartitionId p, Mutation m) {
        landedOn.putIfAbsent(p + "@" + m.version() + "@" + node, world.now());
        Written w = written(p, m);
        String versionKey = p + "@" + m.version();
        Written before = sequenced.putIfAbsent(versionKey, w);
        if (before != null && !before.sameAs(w)) {
            violation("version " + m.version() + " of " + p + " sequenced twice: " + before.key() + " and " + w.key() + " (landing on " + node + ")");
        }
    }

    private static Written written(PartitionId p, Mutation m) {
        int metaCrc = Checksums.crc32c(ByteBuffer.wrap(m.meta()));
        if (BlockStamp.isStamped(m.meta())) {
            BlockStamp stamp = BlockStamp.parse(m.meta());
            return new Written(m.key(), false, null, stamp.chunkLength(), stamp.chunkCrc32c(),
                    Checksums.crc32c(ByteBuffer.wrap(BlockStamp.innerMeta(m.meta()))));
        }
        return new Written(m.key(), m.tombstone(), m.blob() == null ? null : bytes(m.blob()), 0, 0, metaCrc);
    }

    /** A replica threw on a broken invariant: the node stopped (and is restarted like a crashed one). */
    void halted(String node, RuntimeException e) {
        violation("replica " + node + " stopped on a broken invariant: " + e);
    }

    /** A replica logged an error (a record left out, say). */
    void noted(String node, String text) {
        count("errors_logged");
    }

    PlacementTable placement(ClusterMap map) {
        return placements.computeIfAbsent(map.epoch(), e -> PlacementTable.compute(map, PLACEMENT));
    }

    private void count(String figure) {
        figures.merge(figure, 1L, Long::sum);
    }

    private void violation(String what) {
        violations.add(what + " (t=" + world.now() + " ms)");
        world.trace("sim", "VIOLATION " + what);
    }

    // ---- disturbances: what makes a node's absence from a write or a read legitimate ----

    private void disturb(String node) {
        disturbances.merge(node, 1, Integer::sum);
    }

    private void settle(String node) {
        int left = disturbances.merge(node, -1, Integer::sum);
        if (left <= 0) {
            disturbances.remove(node);
            lastDisturbanceEnd.put(node, world.now());
        }
    }

    /**
     * A node still running was just marked down: within the next 1.5 heartbeat intervals (the
     * longest a read lease it holds may run), two writes to each of four partitions it held, so
     * that some land while its lease may still run and {@link #readAtDroppedHolders} reads there
     * after each.
     */
    private void writeWhereDropped(ClusterMap map, String node) {
        SimHost h = hosts.get(node);
        if (h == null || !h.alive() || map.pool(REP_POOL).isEmpty()) {
            return;
        }
        List<String> held = new ArrayList<>();
        for (int i = 0; i < keys && held.size() < 4; i++) {
            String key = key(i);
            if (placement(map).of(partitionOf(key)).holders().contains(node)
                    && held.stream().noneMatch(k -> partitionOf(k).equals(partitionOf(key)))) {
                held.add(key);
            }
        }
        for (String key : held) {
            for (int w = 0; w < 2; w++) {
                count("writes_where_dropped");
                world.after(world.randomBetween(0, 3 * HEARTBEAT_MILLIS / 2), () -> put(key, false));
            }
        }
    }

    /** The meta service changed its map: a node marked down is disturbed until it is up again. */
    void mapChanged(ClusterMap map) {
        for (NodeInfo n : map.nodes()) {
            if (!n.isUp() && markedDown.add(n.id())) {
                disturb(n.id());
                writeWhereDropped(map, n.id());
            } else if (n.isUp() && markedDown.remove(n.id())) {
                if (linkCutFrom >= 0 && meta.takenOutByPeers.subList(linkCutFrom, meta.takenOutByPeers.size()).contains(n.id())
                        && map.upNodes().stream().anyMatch(o -> !o.site().equals(n.site()))) {
                    violation("during a cut of the link between the sites, " + n.id() + ", taken out because its peers could not"
                            + " reach it, came back up before the heal, with nodes of the other side up (epoch " + map.epoch() + ")");
                }
                settle(n.id());
            }
        }
        if (linkCutFrom >= 0) {
            // Taking out a node of one side once a node of the other was, while that other side still
            // has nodes up: each side could then acknowledge writes the other does not have.
            List<String> takenOut = meta.takenOutByPeers.subList(linkCutFrom, meta.takenOutByPeers.size());
            for (int i = checkedTakenOut; i < takenOut.size(); i++) {
                String site = hosts.get(takenOut.get(i)).info.site();
                for (String earlier : takenOut.subList(0, i)) {
                    String other = hosts.get(earlier).info.site();
                    if (!other.equals(site) && map.upNodes().stream().anyMatch(o -> o.site().equals(other))) {
                        violation("during a cut of the link between the sites, the meta service took out " + takenOut.get(i) + " of "
                                + site + " after " + earlier + " of " + other + ", while " + other + " still had nodes up (epoch "
                                + map.epoch() + "): each side could then acknowledge writes the other does not have");
                        break;
                    }
                }
            }
            checkedTakenOut = takenOut.size();
        }
    }

    /** Whether {@code node} has been up, reachable and in the write path without a break since {@code since}. */
    private boolean undisturbedSince(String node, long since) {
        return !disturbances.containsKey(node) && lastDisturbanceEnd.getOrDefault(node, -1L) < since && hosts.get(node).alive();
    }

    /**
     * The client heard that a write was done. Every holder of its partition that was up in the map it
     * was sequenced in, is still an up holder in its primary's map, and has been undisturbed since,
     * must hold it on disk now: the primary waits for exactly those.
     */
    /** The key a read goes after: one acknowledged a moment ago half of the time, else any. */
    private String readKey() {
        if (!recentlyAcknowledged.isEmpty() && world.random.nextBoolean()) {
            List<String> recent = new ArrayList<>(recentlyAcknowledged);
            return recent.get(recent.size() - 1 - world.random.nextInt(Math.min(4, recent.size())));
        }
        return key(world.random.nextInt(keys));
    }

    // ---- the backup site ----

    /** Now and then the link to the backup site is cut for a while, until the heal. */
    private void scheduleBackupLinkFault() {
        world.after(1_000 + backupRandom.nextInt(3_000), () -> {
            if (healed) {
                return;
            }
            if (!backupLinkCut && backupRandom.nextInt(4) == 0) {
                backupLinkCut = true;
                count("backup_link_cuts");
                world.trace("sim", "the link to the backup site is cut");
                world.after(500 + backupRandom.nextInt(4_500), () -> {
                    if (backupLinkCut) {
                        world.trace("sim", "the link to the backup site is back");
                    }
                    backupLinkCut = false;
                });
            }
            scheduleBackupLinkFault();
        });
    }

    /** A node asks the backup site how far partitions are shipped (an answer may be lost on a cut link). */
    void askBackup(java.util.Set<PartitionId> partitions, Consumer<Map<PartitionId, io.cairn.protocol.ShipPosition>> answer) {
        world.after(2 + backupRandom.nextInt(30), () -> {
            if (backupLinkCut) {
                return;
            }
            Map<PartitionId, io.cairn.protocol.ShipPosition> out = new java.util.TreeMap<>();
            partitions.forEach(p -> out.put(p, backup.position(p)));
            world.after(2 + backupRandom.nextInt(30), () -> {
                if (!backupLinkCut) {
                    answer.accept(out);
                }
            });
        });
    }

    /** A node ships a page to the backup site: taken on arrival (unless the link is cut); the answer may be lost. */
    void ship(String node, io.cairn.protocol.Shipment shipment, Consumer<SimBackup.Outcome> answer) {
        world.after(2 + backupRandom.nextInt(60), () -> {
            if (backupLinkCut) {
                return;
            }
            SimBackup.Outcome outcome = backup.ship(shipment, world.now());
            if (world.tracing()) {
                world.trace(node, "ships " + shipment.partition() + " round " + shipment.round() + " boundary " + shipment.boundary() + " from " + shipment.from() + " (" + shipment.records().size()
                        + " records" + (shipment.first() ? ", first" : "") + (shipment.last() ? ", last" : "")
                        + (shipment.hole() ? ", a hole" : "") + "): " + (outcome.ok() ? "taken" : outcome.why()));
            }
            world.after(2 + backupRandom.nextInt(30), () -> {
                if (!backupLinkCut) {
                    answer.accept(outcome);
                }
            });
        });
    }

    /**
     * Every round the backup site may show must be the primary site's state at that cut: each key
     * at its newest version inside the cut at most, holding what was written at that version, and
     * no older than any write of it inside the cut that the client heard was done.
     */
    private void checkBackup() {
        if (backup == null) {
            return;
        }
        Map<Long, Map<PartitionId, Version>> cuts = new HashMap<>();
        for (io.cairn.meta.CutLog.Cut cut : meta.cutsRecorded) {
            Map<PartitionId, Version> bounds = new HashMap<>();
            for (io.cairn.meta.CutLog.Boundary b : cut.boundaries()) {
                bounds.put(new PartitionId(b.pool(), b.partition()), new Version(b.epoch(), b.seq()));
            }
            cuts.put(cut.round(), bounds);
        }
        Map<PartitionId, Map<String, java.util.TreeSet<Version>>> acked = new HashMap<>();
        for (AckedWrite w : ackedWrites) {
            if (!backup.ships(w.partition())) {
                continue;
            }
            acked.computeIfAbsent(w.partition(), x -> new HashMap<>()).computeIfAbsent(w.key(), x -> new java.util.TreeSet<>()).add(w.version());
        }
        Map<PartitionId, java.util.Set<String>> keys = new HashMap<>(backup.keys());
        acked.forEach((p, byKey) -> keys.computeIfAbsent(p, x -> new java.util.TreeSet<>()).addAll(byKey.keySet()));
        List<Long> visible = backup.visibleRounds();
        figures.put("backup_rounds_visible", (long) visible.size());
        figures.put("backup_pages_taken", backup.pagesTaken);
        figures.put("backup_held_checked", backup.heldChecked);
        figures.put("backup_held_missing", backup.heldMissing);
        figures.put("backup_rounds_with_holes", backup.roundsWithHoles());
        for (long round : visible) {
            Map<PartitionId, Version> bounds = cuts.get(round);
            if (bounds == null) {
                violation("the backup site shows round " + round + ", which was never recorded");
                return;
            }
            for (Map.Entry<PartitionId, java.util.Set<String>> e : new java.util.TreeMap<>(keys).entrySet()) {
                PartitionId p = e.getKey();
                Version bound = bounds.getOrDefault(p, Version.ZERO);
                for (String key : e.getValue()) {
                    io.cairn.protocol.LogRecord shown = backup.stateAt(p, key, round);
                    java.util.TreeSet<Version> heard = acked.getOrDefault(p, Map.of()).get(key);
                    Version newestHeard = heard == null ? null : heard.floor(bound);
                    // A write the round's shipper did not hold yet when it shipped the round (acknowledged
                    // with fewer copies, on a node that was out then) is not asked of that round.
                    SimBackup.Shipped by = backup.shippedBy(p, round);
                    while (newestHeard != null && by != null && !landed(p, newestHeard, by.node(), by.firstPageAt())) {
                        newestHeard = heard.lower(newestHeard);
                    }
                    if (shown == null) {
                        if (newestHeard != null) {
                            violation("the backup site's round " + round + " lacks " + p + " " + key + ", acknowledged at " + newestHeard
                                    + " inside the cut (boundary " + bound + ")");
                            return;
                        }
                        continue;
                    }
                    if (shown.version().isAfter(bound)) {
                        violation("the backup site's round " + round + " shows " + p + " " + key + " at " + shown.version()
                                + ", after the cut (boundary " + bound + ")");
                        return;
                    }
                    if (newestHeard != null && newestHeard.isAfter(shown.version())) {
                        violation("the backup site's round " + round + " shows " + p + " " + key + " at " + shown.version()
                                + ", older than its write acknowledged at " + newestHeard + " inside the cut (boundary " + bound + ")");
                        return;
                    }
                    Written w = sequenced.get(p + "@" + shown.version());
                    if (w == null || !w.key().equals(key) || w.tombstone() != shown.tombstone() || !sameContent(w, shown)) {
                        violation("the backup site's round " + round + " shows " + p + " " + key + " at " + shown.version()
                                + " with other bytes than were written at that version" + (w == null ? " (none landed)" : ""));
                        return;
                    }
                }
            }
        }
    }

    private static boolean sameContent(Written w, io.cairn.protocol.LogRecord shown) {
        if (w.tombstone()) {
            return true;
        }
        int metaCrc = Checksums.crc32c(ByteBuffer.wrap(shown.meta()));
        if (w.chunkLength() > 0) {
            return shown.blob() != null && shown.blob().remaining() == w.chunkLength()
                    && Checksums.crc32c(shown.blob().duplicate()) == w.chunkCrc() && metaCrc == w.metaCrc();
        }
        byte[] value = shown.blob() == null ? null : bytes(shown.blob().duplicate());
        return metaCrc == w.metaCrc() && Arrays.equals(value == null || value.length == 0 ? null : value,
                w.value() == null || w.value().length == 0 ? null : w.value());
    }

    /**
     * Whether a node the cut's round needed held {@code w} when the cut was recorded. A write
     * acknowledged with fewer copies than its pool asks, whose every copy was on nodes down and
     * marked out then, was not in the cluster at that cut (a read there would not have found it
     * either): a cut is not asked to hold it.
     */
    private boolean heldByAny(AckedWrite w, SimMeta.RecordedCut recorded) {
        if (recorded == null) {
            return true;
        }
        return recorded.participants().stream().anyMatch(node -> landed(w.partition(), w.version(), node, recorded.at()));
    }

    /** Whether version {@code v} of {@code p} had landed on {@code node}'s disk by {@code by}. */
    private boolean landed(PartitionId p, Version v, String node, long by) {
        Long at = landedOn.get(p + "@" + v + "@" + node);
        return at != null && at <= by;
    }

    private void acknowledged(PartitionId p, String key, Version v, long sentAt) {
        ackedWrites.add(new AckedWrite(p, key, v, sentAt, world.now()));
        acknowledged(p, key, v);
    }

    /**
     * Every consistent cut recorded must be one: no write outside it (after its partition's
     * boundary, or of a partition it has none of) was acknowledged before a write inside it was sent.
     */
    private void checkCuts() {
        for (io.cairn.meta.CutLog.Cut cut : meta.cutsRecorded) {
            Map<PartitionId, Version> bounds = new HashMap<>();
            for (io.cairn.meta.CutLog.Boundary b : cut.boundaries()) {
                bounds.put(new PartitionId(b.pool(), b.partition()), new Version(b.epoch(), b.seq()));
            }
            AckedWrite firstOutside = null;
            AckedWrite lastInside = null;
            SimMeta.RecordedCut recorded = meta.cutRecordedAt.get(cut.round());
            for (AckedWrite w : ackedWrites) {
                Version bound = bounds.get(w.partition());
                if (bound != null && !w.version().isAfter(bound)) {
                    if (lastInside == null || w.sentAt() > lastInside.sentAt()) {
                        lastInside = w;
                    }
                } else if ((firstOutside == null || w.ackedAt() < firstOutside.ackedAt()) && heldByAny(w, recorded)) {
                    firstOutside = w;
                }
            }
            if (firstOutside != null && lastInside != null && firstOutside.ackedAt() < lastInside.sentAt()) {
                violation("cut " + cut.round() + " is not consistent: " + firstOutside.key() + " at " + firstOutside.version()
                        + " is outside it (boundary " + bounds.get(firstOutside.partition()) + ") and was acknowledged at "
                        + firstOutside.ackedAt() + " ms, before " + lastInside.key() + " at " + lastInside.version()
                        + ", inside it (boundary " + bounds.get(lastInside.partition()) + "), was sent at " + lastInside.sentAt() + " ms");
                return;
            }
        }
    }

    private void acknowledged(PartitionId p, String key, Version v) {
        count("writes_acknowledged");
        if (p.pool().equals(REP_POOL)) {
            recentlyAcknowledged.remove(key);
            recentlyAcknowledged.addLast(key);
            if (recentlyAcknowledged.size() > 8) {
                recentlyAcknowledged.removeFirst();
            }
            if (world.random.nextBoolean()) {
                world.after(world.randomBetween(0, 300), () -> get(key)); // read your writes
            }
        }
        acknowledged.merge(key, v, (x, y) -> x.compareTo(y) >= 0 ? x : y);
        String versionKey = p + "@" + v;
        Long at = sequencedAt.get(versionKey);
        String by = sequencedBy.get(versionKey);
        if (at == null || !sequenced.containsKey(versionKey)) {
            violation("acknowledged " + key + " at " + v + ", which no disk ever held");
            return;
        }
        java.util.Set<String> holding = new java.util.TreeSet<>();
        for (SimHost h : hosts.values()) {
            StoredRecord r = h.store().records(p).get(key);
            if (r != null && !v.isAfter(r.version())) {
                holding.add(h.id);
            }
        }
        ClusterMap then = meta.mapAt(v.epoch());
        SimHost sequencer = hosts.get(by);
        // The sequencer's map now, unless it restarted since (a reply can arrive after its sender
        // crashed; a restarted node has no map, or an older one, until it fetches the current one).
        ClusterMap now = sequencer.alive() && sequencer.replica().map().epoch() >= v.epoch() ? sequencer.replica().map() : null;
        if (then != null && now != null) {
            List<String> stillHolders = placement(now).of(p).upHolders(now);
            for (String h : placement(then).of(p).upHolders(then)) {
                // A holder the write went to, which the primary's map still has as an up holder: the primary waited for it.
                if (!h.equals(by) && stillHolders.contains(h) && undisturbedSince(h, at) && !holding.contains(h)) {
                    violation("acknowledged " + key + " at " + v + " before holder " + h + " (up since before it was sequenced) had it");
                }
            }
        }
        Ack previous = acks.get(key);
        if (previous == null || v.isAfter(previous.version())) {
            acks.put(key, new Ack(p, v, world.now(), holding));
        }
        if (p.pool().equals(REP_POOL)) {
            readAtDroppedHolders(p, key);
        }
    }

    /**
     * Right after a write is acknowledged, a leased read of its key at every running node that the
     * meta service's newest map dropped as a holder of its partition but that has not heard so yet
     * (its own map still names it an up holder), through its own gateway, as a gateway in its site
     * would read. Its lease from the primary may still run: the primary must have waited it out
     * before acknowledging without it, or this read returns the version before. Random reads
     * seldom land in that window, which lasts 1.5 heartbeat intervals after a map change.
     */
    private void readAtDroppedHolders(PartitionId p, String key) {
        ClusterMap newest = meta.map();
        if (newest.pool(p.pool()).isEmpty()) {
            return;
        }
        List<String> holdersNow = placement(newest).of(p).upHolders(newest);
        for (SimHost h : hosts.values()) {
            ClusterMap its = h.alive() ? h.replica().map() : null;
            if (its == null || its.epoch() >= newest.epoch() || its.pool(p.pool()).isEmpty() || holdersNow.contains(h.id)
                    || !placement(its).of(p).upHolders(its).contains(h.id)) {
                continue;
            }
            count("dropped_holder_reads");
            settledGetAt(h, h, key, acknowledged.get(key), acks.get(key), true);
        }
    }

    /**
     * A read at a primary missed an acknowledged write. That is allowed only while every node that
     * held it when it was acknowledged no longer holds the partition (marked out while down: its
     * records come back by hand-over when it returns), or while the primary's map is behind the
     * meta service's. A holder that had it and is away (crashed, cut, marked down) is no excuse: a
     * primary that cannot reach a copy holding every acknowledged write must refuse, not answer
     * from a copy that missed some.
     */
    private void staleRead(String key, Ack ack, long primaryEpoch, String what) {
        staleRead(key, ack, false, primaryEpoch, what);
    }

    /**
     * As above; a {@code leased} read (a holder's copy under a read lease from its primary) has no
     * excuse in a map that fell behind: it must be as current as a read at the primary that knows
     * the newest map, so it is held to the holders of the meta service's map.
     */
    private void staleRead(String key, Ack ack, boolean leased, long primaryEpoch, String what) {
        count("stale_reads");
        if (ack == null || !leased && primaryEpoch < meta.map().epoch()) {
            // A primary whose map is behind may not know yet that another has taken over (it reads
            // under no lease): its reads can be stale until it learns the new epoch.
            return;
        }
        ClusterMap map = leased ? meta.map() : meta.mapAt(primaryEpoch);
        if (map == null) {
            return;
        }
        if (leased) {
            primaryEpoch = map.epoch();
        }
        List<String> holders = placement(map).of(ack.partition()).holders();
        for (String h : ack.holders()) {
            if (holders.contains(h)) {
                violation(what + " of " + key + ", acknowledged at " + ack.version() + " while " + h
                        + " held it; " + h + " is still a holder in epoch " + primaryEpoch
                        + (undisturbedSince(h, ack.at()) ? ", and has been up since" : ", though away since"));
                return;
            }
        }
    }

    // ---- checks ----

    /** A record read at a version must hold what was sequenced there: for a chunk, the very bytes the client sent. */
    private void checkRecord(PartitionId p, String key, io.cairn.protocol.LogRecord rec, String how) {
        if (rec == null || !rec.key().equals(key)) {
            violation(how + " of " + key + " returned the record of " + (rec == null ? "nothing" : rec.key()));
            return;
        }
        Written w = sequenced.get(p + "@" + rec.version());
        if (w == null || !w.key().equals(key) || w.tombstone() != rec.tombstone()) {
            violation(how + " of " + key + " returned a record never written at " + rec.version());
            return;
        }
        if (rec.tombstone()) {
            return;
        }
        byte[] got = rec.blob() == null ? new byte[0] : bytes(rec.blob());
        boolean right = w.chunkLength() > 0
                ? got.length == w.chunkLength() && Checksums.crc32c(ByteBuffer.wrap(got)) == w.chunkCrc()
                        && sent.getOrDefault(key, List.of()).stream().anyMatch(v -> Arrays.equals(v, got))
                : Arrays.equals(w.value() == null ? new byte[0] : w.value(), got);
        if (!right) {
            violation(how + " of " + key + " returned bytes never written at " + rec.version());
        }
    }

    /** Why the cluster is not at full redundancy yet; empty when it is. */
    private List<String> fullyRedundant() {
        List<String> why = new ArrayList<>();
        ClusterMap map = meta.map();
        for (NodeInfo n : map.nodes()) {
            if (!n.isUp() || !n.in()) {
                why.add(n.id() + " is " + n.state() + (n.in() ? "" : " and out"));
            }
        }
        if (map.degradedReason() != null) {
            why.add("degraded: " + map.degradedReason());
        }
        for (SimHost h : hosts.values()) {
            if (!h.alive() || h.replica().epoch() != map.epoch()) {
                why.add(h.id + " has epoch " + (h.alive() ? h.replica().epoch() : -1) + " of " + map.epoch());
            }
        }
        if (!why.isEmpty()) {
            return why;
        }
        PlacementTable table = placement(map);
        for (PoolInfo pool : map.pools()) {
            boolean ec = pool.policy().kind() == StoragePolicy.Kind.ERASURE_CODED;
            for (int i = 0; i < pool.partitions(); i++) {
                PartitionId p = new PartitionId(pool.name(), i);
                PartitionPlacement pp = table.of(p);
                String primaryId = pp.primary(map).orElseThrow();
                PartitionStateMachine primary = hosts.get(primaryId).replica().machines().get(p);
                if (primary == null || !primary.active()) {
                    why.add(p + ": primary " + primaryId + " has not peered");
                    continue;
                }
                for (SimHost h : hosts.values()) {
                    if (!pp.holders().contains(h.id) && !h.store().records(p).isEmpty()) {
                        why.add(p + ": former holder " + h.id + " still keeps its copy");
                    }
                }
                Map<String, StoredRecord> authoritative = hosts.get(primaryId).store().records(p);
                for (int slot = 0; slot < pp.holders().size(); slot++) {
                    String holder = pp.holders().get(slot);
                    SimHost h = hosts.get(holder);
                    PartitionStateMachine m = h.replica().machines().get(p);
                    if (m == null || m.recovering()) {
                        why.add(p + ": " + holder + " is still catching up");
                        continue;
                    }
                    if (h.store().underProtectedMarks(p) > 0) {
                        why.add(p + ": " + holder + " keeps " + h.store().underProtectedMarks(p) + " under-protected marks");
                    }
                    Map<String, StoredRecord> copy = h.store().records(p);
                    for (StoredRecord r : authoritative.values()) {
                        StoredRecord c = copy.get(r.key());
                        if (c == null || !c.version().equals(r.version())) {
                            why.add(p + ": " + holder + " has " + r.key() + " at " + (c == null ? "nothing" : c.version())
                                    + ", the primary at " + r.version());
                        } else if (!h.store().intact(p, r.key())) {
                            why.add(p + ": " + holder + "'s copy of " + r.key() + " at " + r.version() + " is damaged");
                        } else if (ec && !c.tombstone() && c.blobLength() > 0) {
                            BlockStamp stamp = BlockStamp.parse(c.meta());
                            if (stamp.index() != slot) {
                                why.add(p + ": " + holder + " holds block " + stamp.index() + " of " + r.key() + " in slot " + slot);
                            }
                        }
                    }
                    for (String k : copy.keySet()) {
                        if (!authoritative.containsKey(k)) {
                            why.add(p + ": " + holder + " has " + k + ", which the primary has not");
                        }
                    }
                }
                if (ec && why.isEmpty()) {
                    checkStripes(p, pp, authoritative);
                }
            }
        }
        return why;
    }

    /** At full redundancy every stripe's blocks are the blocks of a chunk the client sent. */
    private void checkStripes(PartitionId p, PartitionPlacement pp, Map<String, StoredRecord> authoritative) {
        for (StoredRecord r : authoritative.values()) {
            if (r.tombstone() || r.blobLength() == 0) {
                continue;
            }
            BlockStamp stamp = BlockStamp.parse(r.meta());
            Written w = sequenced.get(p + "@" + r.version());
            byte[] chunk = sent.getOrDefault(r.key(), List.of()).stream()
                    .filter(v -> v.length == stamp.chunkLength() && Checksums.crc32c(ByteBuffer.wrap(v)) == stamp.chunkCrc32c())
                    .findFirst().orElse(null);
            if (w == null || chunk == null) {
                violation(p + ": " + r.key() + " at " + r.version() + " is a stripe of no chunk the client sent");
                continue;
            }
            ByteBuffer[] blocks = StripeCoder.encode(stamp.dataBlocks(), stamp.parityBlocks(), ByteBuffer.wrap(chunk));
            for (int slot = 0; slot < pp.holders().size(); slot++) {
                Optional<byte[]> stored = hosts.get(pp.holders().get(slot)).store().storedBlob(p, r.key());
                if (stored.isEmpty() || !Arrays.equals(stored.get(), bytes(blocks[slot]))) {
                    violation(p + ": block " + slot + " of " + r.key() + " at " + r.version() + " on " + pp.holders().get(slot)
                            + " is not the block of the chunk written");
                }
            }
        }
    }

    /** Every acknowledged write is at the primary of its partition, or a newer one is, with what was written. */
    private void checkAcknowledgedWrites() {
        ClusterMap map = meta.map();
        PlacementTable table = placement(map);
        for (Map.Entry<String, Version> e : acknowledged.entrySet()) {
            String key = e.getKey();
            PartitionId p = key.startsWith("chunk-") ? chunkPartition(key) : partitionOf(key);
            String primary = table.of(p).primary(map).orElseThrow();
            StoredRecord r = hosts.get(primary).store().records(p).get(key);
            if (r == null || e.getValue().isAfter(r.version())) {
                violation("acknowledged write lost: " + key + " at " + e.getValue() + " acknowledged, primary " + primary + " of " + p
                        + " has " + (r == null ? "nothing" : r.version().toString()));
                continue;
            }
            Written w = sequenced.get(p + "@" + r.version());
            if (w == null || !w.key().equals(key)) {
                violation("the primary's copy of " + key + " at " + r.version() + " was never written");
            }
        }
    }

    private Map<String, Long> figures() {
        Map<String, Long> f = new LinkedHashMap<>();
        f.put("simulated_ms", world.now());
        for (String name : List.of("puts", "deletes", "chunk_puts", "writes_acknowledged", "gets", "gets_ok", "settled_gets", "settled_gets_ok",
                "leased_gets", "leased_gets_ok", "writes_where_dropped", "dropped_holder_reads", "writes_across_cuts", "chunk_reads", "chunk_reads_ok",
                "chunk_gets", "chunk_gets_ok", "stale_reads", "crashes", "crashes_after_unacknowledged_reads", "cuts", "sites_lost", "sites_cut", "site_links_cut", "full_disks", "slow_disks", "bit_flips", "errors_logged")) {
            f.put(name, figures.getOrDefault(name, 0L));
        }
        long repaired = 0;
        long scrubFound = 0;
        long dropped = 0;
        long leftOut = 0;
        long decoded = 0;
        long underCopied = 0;
        long adopted = 0;
        long rolledBack = 0;
        long waited = 0;
        for (SimHost h : hosts.values()) {
            if (h.alive()) {
                var report = h.replica().report();
                repaired += report.copiesRepaired() + report.blocksRepaired() + report.scrubRepaired();
                scrubFound += report.scrubDamaged();
                dropped += report.partitionsDropped();
                leftOut += report.damagedLeftOut();
                decoded += report.stripesDecoded();
                underCopied += report.underProtectedCopied();
                adopted += report.adopted();
                waited += report.peeringsWaited();
                rolledBack += report.stripesRolledBack();
            }
        }
        f.put("copies_repaired", repaired);
        f.put("scrub_found_damaged", scrubFound);
        f.put("copies_dropped", dropped);
        f.put("damaged_left_out", leftOut);
        f.put("stripes_decoded", decoded);
        f.put("under_protected_copied", underCopied);
        f.put("adopted", adopted);
        f.put("stripes_rolled_back", rolledBack);
        f.put("peerings_waited", waited);
        f.put("min_copies", (long) minCopies);
        f.put("marked_down", meta.markedDown);
        f.put("marked_out", meta.markedOut);
        f.put("acting_sets_cleared", meta.actingCleared);
        f.put("meta_unavailable", meta.unavailableWindows);
        f.put("cut_interval_ms", cutIntervalMillis);
        f.put("cuts_recorded", (long) meta.cutsRecorded.size());
        f.put("cuts_fenced", meta.cutsFenced);
        f.put("shipping", backup == null ? 0L : 1L);
        for (String name : List.of("backup_link_cuts", "backup_rounds_visible", "backup_pages_taken", "backup_held_checked",
                "backup_held_missing", "backup_rounds_with_holes")) {
            f.put(name, figures.getOrDefault(name, 0L));
        }
        f.put("epochs", meta.map().epoch());
        f.put("messages", network.messagesSent);
        f.put("messages_lost", network.messagesLost);
        f.put("healed_after_ms", healedAfterMillis);
        return f;
    }
}
