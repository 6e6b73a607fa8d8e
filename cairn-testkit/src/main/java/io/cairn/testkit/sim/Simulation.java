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
import io.cairn.core.placement.PlacementTable;
import io.cairn.meta.MetaCommand;
import io.cairn.node.MapView;
import io.cairn.node.replication.PartitionStateMachine;
import io.cairn.testkit.sim.SimDisk.Rec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A deterministic simulation of a Cairn cluster: nodes running the real partition state
 * machines, the real meta state machine, failure detector and capacity check, a client writing
 * and reading, and faults (crashes that lose writes not yet durable, network loss, delay,
 * reordering and isolation, full disks, flipped bits) chosen by one seed. It checks all along
 * that no two nodes sequence writes for one partition in one epoch, that no version is
 * sequenced twice, and that no read returns bytes other than those written; then it heals every
 * fault and requires every partition to reach full redundancy within a bound, with every
 * acknowledged write in place. {@link #run} returns the outcome; a failure names the command
 * that replays it.
 */
public final class Simulation {

    /** What one run is: the seed decides everything else. */
    public record Config(long seed, int nodes, int steps, int faulty) {
        public Config {
            if (faulty < 0 || faulty >= nodes) {
                throw new IllegalArgumentException("faulty must be 0.." + (nodes - 1) + " for " + nodes + " nodes: " + faulty);
            }
            if (nodes < 1 || nodes > 64) {
                throw new IllegalArgumentException("nodes must be 1..64: " + nodes);
            }
            if (steps < 0) {
                throw new IllegalArgumentException("steps must be >= 0: " + steps);
            }
        }

        public String command() {
            return "./cairn sim --seed " + seed + " --nodes " + nodes + " --steps " + steps + " --faulty " + faulty;
        }
    }

    /**
     * What a run found: {@code violations} of safety (two primaries in an epoch, a version
     * sequenced twice, wrong bytes read, an acknowledged write lost), and {@code unhealed}, why
     * the cluster did not reach full redundancy within the bound after the faults were healed.
     */
    public record Outcome(Config config, List<String> violations, List<String> unhealed, Map<String, Long> figures) {
        public boolean ok() {
            return violations.isEmpty() && unhealed.isEmpty();
        }
    }

    static final String POOL = "rep3";
    static final int PARTITIONS = 16;
    static final int KEYS = 48;
    static final long DOWN_AFTER_MILLIS = 2_000;
    static final long DOWN_OUT_INTERVAL_MILLIS = 6_000;
    static final double FULL_RATIO = 0.90;
    static final long CAPACITY_BYTES = 64 * 1024;
    /** Simulated time from the end of the faults by which every partition must be at full redundancy. */
    static final long HEAL_BOUND_MILLIS = 60_000;
    /** A client request that gets no answer in this time is given up (and not acknowledged). */
    static final long CLIENT_TIMEOUT_MILLIS = 5_000;

    private final Config config;
    private final SimWorld world;
    final SimMeta meta;
    private final Map<String, SimNode> nodes = new LinkedHashMap<>();
    private final Map<Long, PlacementTable> placements = new HashMap<>();
    private final List<String> violations = new ArrayList<>();

    /** Which node sequenced writes of a partition in an epoch. */
    private final Map<String, String> sequencerOf = new HashMap<>();
    /** What was sequenced at each version of each partition: key and value. */
    private final Map<String, Written> sequenced = new HashMap<>();
    /** The newest acknowledged version of each key, and when it was acknowledged. */
    private final Map<String, Version> acknowledged = new HashMap<>();
    private long puts;
    private long putsAcked;
    private long gets;
    private long getsOk;
    private long staleReads;
    private long crashes;
    private long isolations;
    private long bitFlips;
    private long fullDisks;
    long repaired;
    long scrubFound;
    long copiesDropped;
    long leftOutDamaged;
    private long healedAfterMillis = -1;

    private record Written(String key, byte[] value) {}

    public Simulation(Config config) {
        this.config = config;
        this.world = new SimWorld(config.seed());
        this.meta = new SimMeta(world, this, DOWN_AFTER_MILLIS, DOWN_OUT_INTERVAL_MILLIS, FULL_RATIO);
        List<NodeInfo> infos = new ArrayList<>();
        for (int i = 0; i < config.nodes(); i++) {
            String id = "n" + i;
            NodeInfo info = new NodeInfo(id, "site1", "zone" + (i % 3), id + ":9000", id + ":9100", null, CAPACITY_BYTES,
                    NodeState.UP, true);
            infos.add(info);
            nodes.put(id, new SimNode(id, info, new SimDisk(CAPACITY_BYTES), world, this));
        }
        meta.submit(new MetaCommand.Bootstrap("sim-" + config.seed(),
                List.of(new PoolInfo(POOL, StoragePolicy.replicated(3), PARTITIONS)),
                new UserInfo("SIMACCESSKEY0000", "sim-secret-key-0000000000000000000000000", "root", true)));
        for (NodeInfo info : infos) {
            meta.submit(new MetaCommand.RegisterNode(info));
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

    private Outcome run() {
        meta.start();
        for (SimNode n : nodes.values()) {
            n.start();
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
                unhealed.add("not at full redundancy " + HEAL_BOUND_MILLIS + " ms after the faults were healed: " + fullyRedundant());
            }
            checkAcknowledgedWrites();
        }
        return new Outcome(config, List.copyOf(violations), unhealed, figures());
    }

    // ---- the run's steps ----

    private void step() {
        double roll = world.random.nextDouble();
        List<SimNode> all = new ArrayList<>(nodes.values());
        SimNode some = all.get(world.random.nextInt(all.size()));
        if (roll < 0.55) {
            put();
        } else if (roll < 0.80) {
            get();
        } else if (roll < 0.85) {
            if (some.alive && faulty() < config.faulty()) {
                some.crash();
                crashes++;
                long downFor = world.randomBetween(100, 2 * DOWN_OUT_INTERVAL_MILLIS);
                world.after(downFor, () -> {
                    if (!some.alive) {
                        some.start();
                    }
                });
            }
        } else if (roll < 0.88) {
            if (world.isolated.isEmpty() && some.alive && faulty() < config.faulty()) {
                world.isolated.add(some.id);
                world.trace(some.id, "cut off from the network");
                isolations++;
                world.after(world.randomBetween(500, 2 * DOWN_OUT_INTERVAL_MILLIS), () -> {
                    world.isolated.remove(some.id);
                    world.trace(some.id, "reconnected");
                });
            }
        } else if (roll < 0.91) {
            world.lossRate = world.random.nextDouble() < 0.5 ? 0 : world.random.nextDouble() * 0.2;
            world.delayMaxMillis = 5 + world.random.nextInt(200);
        } else if (roll < 0.94) {
            if (some.disk.capacityBytes() == CAPACITY_BYTES) {
                some.disk.setCapacityBytes(some.disk.usedBytes());
                world.trace(some.id, "disk full");
                fullDisks++;
                world.after(world.randomBetween(500, 5_000), () -> some.disk.setCapacityBytes(CAPACITY_BYTES));
            }
        } else {
            PartitionId p = new PartitionId(POOL, world.random.nextInt(PARTITIONS));
            List<String> keys = new ArrayList<>(some.disk.records(p).keySet());
            if (keys.isEmpty()) {
                return;
            }
            String key = keys.get(world.random.nextInt(keys.size()));
            // At most one damaged copy of a version at a time, and never the last good one.
            Rec target = some.disk.get(p, key).orElseThrow();
            long good = 0;
            boolean damaged = false;
            for (SimNode n : nodes.values()) {
                Optional<Rec> copy = n.disk.get(p, key).filter(r -> r.version().equals(target.version()));
                good += copy.filter(Rec::intact).isPresent() ? 1 : 0;
                damaged |= copy.filter(r -> !r.intact()).isPresent();
            }
            if (good >= 2 && !damaged && some.disk.flipBit(p, key, world.random.nextInt())) {
                world.trace(some.id, "bit flipped in " + key + " at " + target.version());
                bitFlips++;
            }
        }
    }

    /** Nodes crashed or cut off from the others right now. */
    private long faulty() {
        return nodes.values().stream().filter(n -> !n.alive || world.isolated.contains(n.id)).count();
    }

    private static String key(int i) {
        return "key-" + i;
    }

    private static PartitionId partitionOf(String key) {
        return new PartitionId(POOL, PartitionHash.partitionOf(key, PARTITIONS));
    }

    /** A client PUT through a random node; acknowledged when that node answers OK. */
    private void put() {
        SimNode gateway = randomAlive();
        if (gateway == null) {
            return;
        }
        String key = key(world.random.nextInt(KEYS));
        byte[] value = new byte[8 + world.random.nextInt(120)];
        world.random.nextBytes(value);
        puts++;
        once(CLIENT_TIMEOUT_MILLIS, (SimNode.ApplyRep r) -> {
            world.trace("client", "PUT " + key + " through " + gateway.id + ": " + (r == null ? "no answer" : r.status() + " " + r.version()));
            if (r != null && r.status() == SimNode.Status.OK) {
                putsAcked++;
                acknowledged.merge(key, r.version(), (a, b) -> a.compareTo(b) >= 0 ? a : b);
            }
        }, done -> gateway.clientPut(partitionOf(key), key, value, done));
    }

    /** A client GET through a random node: the bytes must be what was written at the version read. */
    private void get() {
        SimNode gateway = randomAlive();
        if (gateway == null) {
            return;
        }
        String key = key(world.random.nextInt(KEYS));
        Version ackedBefore = acknowledged.get(key);
        gets++;
        once(CLIENT_TIMEOUT_MILLIS, (SimNode.GetRep r) -> {
            world.trace("client", "GET " + key + " through " + gateway.id + ": "
                    + (r == null ? "no answer" : r.status() + (r.rec() == null ? "" : " " + r.rec().version())));
            if (r == null) {
                return;
            }
            if (r.status() == SimNode.Status.OK) {
                getsOk++;
                checkRead(key, r.rec(), "GET through " + gateway.id);
                if (ackedBefore != null && ackedBefore.isAfter(r.rec().version())) {
                    staleReads++;
                }
            } else if (r.status() == SimNode.Status.NOT_FOUND && ackedBefore != null) {
                staleReads++;
            }
        }, done -> gateway.clientGet(partitionOf(key), key, done));
    }

    /** Calls {@code start} with a callback that passes the first answer (or null at the timeout) to {@code onAnswer}. */
    private <R> void once(long timeoutMillis, Consumer<R> onAnswer, Consumer<Consumer<R>> start) {
        boolean[] answered = {false};
        start.accept(r -> {
            if (!answered[0]) {
                answered[0] = true;
                onAnswer.accept(r);
            }
        });
        world.after(timeoutMillis, () -> {
            if (!answered[0]) {
                answered[0] = true;
                onAnswer.accept(null);
            }
        });
    }

    private SimNode randomAlive() {
        List<SimNode> alive = nodes.values().stream().filter(n -> n.alive).toList();
        return alive.isEmpty() ? null : alive.get(world.random.nextInt(alive.size()));
    }

    private void heal() {
        world.trace("sim", "heals every fault");
        world.isolated.clear();
        world.lossRate = 0;
        world.delayMaxMillis = 20;
        for (SimNode n : nodes.values()) {
            n.disk.setCapacityBytes(CAPACITY_BYTES);
            if (!n.alive) {
                n.start();
            }
        }
    }

    // ---- what the nodes and meta report to the checks ----

    void deliver(String from, String to, Object request, Consumer<Object> onReply) {
        SimNode target = nodes.get(to);
        world.send(from, to, request, req -> target.receive(req, reply -> world.send(to, from, reply, onReply)));
    }

    /** A node sequenced {@code key} at {@code version} of {@code p}. */
    void sequenced(PartitionId p, String node, Version version, String key, byte[] value) {
        String epochKey = p + "@" + version.epoch();
        String other = sequencerOf.putIfAbsent(epochKey, node);
        if (other != null && !other.equals(node)) {
            violations.add("two primaries in one epoch: " + other + " and " + node + " both sequenced writes of " + p
                    + " in epoch " + version.epoch() + " (t=" + world.now() + " ms)");
        }
        Written before = sequenced.putIfAbsent(p + "@" + version, new Written(key, value.clone()));
        if (before != null) {
            violations.add("version " + version + " of " + p + " sequenced twice, by " + node + " for " + key + " and before for "
                    + before.key() + " (t=" + world.now() + " ms)");
        }
    }

    PlacementTable placement(ClusterMap map) {
        return placements.computeIfAbsent(map.epoch(), e -> PlacementTable.compute(map, MapView.PLACEMENT));
    }

    Iterable<SimNode> nodes() {
        return nodes.values();
    }

    SimNode node(String id) {
        return nodes.get(id);
    }

    // ---- checks ----

    private void checkRead(String key, Rec rec, String how) {
        if (!rec.key().equals(key)) {
            violations.add(how + " of " + key + " returned the record of " + rec.key());
            return;
        }
        if (rec.tombstone()) {
            return;
        }
        Written w = sequenced.get(partitionOf(key) + "@" + rec.version());
        if (w == null || !w.key().equals(key) || !Arrays.equals(w.value(), rec.value())) {
            violations.add(how + " of " + key + " returned bytes never written at " + rec.version() + " (t=" + world.now() + " ms)");
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
        for (SimNode n : nodes.values()) {
            if (n.map().epoch() != map.epoch()) {
                why.add(n.id + " has epoch " + n.map().epoch() + " of " + map.epoch());
            }
        }
        if (!why.isEmpty()) {
            return why;
        }
        PlacementTable table = placement(map);
        for (PoolInfo pool : map.pools()) {
            for (int i = 0; i < pool.partitions(); i++) {
                PartitionId p = new PartitionId(pool.name(), i);
                PartitionPlacement pp = table.of(p);
                String primaryId = pp.primary(map).orElseThrow();
                PartitionStateMachine primary = nodes.get(primaryId).machines().get(p);
                if (primary == null || !primary.active()) {
                    why.add(p + ": primary " + primaryId + " has not peered");
                    continue;
                }
                for (SimNode n : nodes.values()) {
                    if (!pp.holders().contains(n.id) && n.unhandedRecords(p)) {
                        why.add(p + ": former holder " + n.id + " has records not handed over to the primary");
                    } else if (!pp.holders().contains(n.id) && !n.disk.records(p).isEmpty()) {
                        why.add(p + ": former holder " + n.id + " still keeps its copy");
                    }
                }
                Map<String, Rec> authoritative = nodes.get(primaryId).disk.records(p);
                for (String holder : pp.holders()) {
                    PartitionStateMachine m = nodes.get(holder).machines().get(p);
                    if (m == null || m.recovering()) {
                        why.add(p + ": " + holder + " is still catching up");
                        continue;
                    }
                    Map<String, Rec> copy = nodes.get(holder).disk.records(p);
                    for (Rec r : authoritative.values()) {
                        if (!r.intact()) {
                            continue; // damaged with no good copy left anywhere: reads of it fail, holders cannot copy it
                        }
                        Rec c = copy.get(r.key());
                        if (c == null || !c.version().equals(r.version())) {
                            why.add(p + ": " + holder + " has " + r.key() + " at " + (c == null ? "nothing" : c.version())
                                    + ", the primary at " + r.version());
                        } else if (!c.intact()) {
                            why.add(p + ": " + holder + "'s copy of " + r.key() + " at " + r.version() + " is damaged");
                        }
                    }
                }
            }
        }
        return why;
    }

    /** Every acknowledged write is at the primary of its partition, or a newer one is, with the bytes written. */
    private void checkAcknowledgedWrites() {
        ClusterMap map = meta.map();
        PlacementTable table = placement(map);
        for (Map.Entry<String, Version> e : acknowledged.entrySet()) {
            PartitionId p = partitionOf(e.getKey());
            String primary = table.of(p).primary(map).orElseThrow();
            Optional<Rec> r = nodes.get(primary).disk.get(p, e.getKey());
            if (r.isEmpty() || e.getValue().isAfter(r.get().version())) {
                violations.add("acknowledged write lost: " + e.getKey() + " at " + e.getValue() + " acknowledged, primary "
                        + primary + " of " + p + " has " + r.map(x -> x.version().toString()).orElse("nothing"));
                continue;
            }
            Written w = sequenced.get(p + "@" + r.get().version());
            if (w == null || !w.key().equals(e.getKey()) || !Arrays.equals(w.value(), r.get().value()) && r.get().intact()) {
                violations.add("the primary's copy of " + e.getKey() + " at " + r.get().version() + " holds bytes never written");
            }
        }
    }

    private Map<String, Long> figures() {
        Map<String, Long> f = new LinkedHashMap<>();
        f.put("simulated_ms", world.now());
        f.put("puts", puts);
        f.put("puts_acknowledged", putsAcked);
        f.put("gets", gets);
        f.put("gets_ok", getsOk);
        f.put("stale_reads", staleReads);
        f.put("crashes", crashes);
        f.put("isolations", isolations);
        f.put("full_disks", fullDisks);
        f.put("bit_flips", bitFlips);
        f.put("copies_repaired", repaired);
        f.put("scrub_found_damaged", scrubFound);
        f.put("copies_dropped", copiesDropped);
        f.put("damaged_left_out", leftOutDamaged);
        f.put("marked_down", meta.markedDown);
        f.put("marked_out", meta.markedOut);
        f.put("acting_sets_cleared", meta.actingCleared);
        f.put("epochs", meta.map().epoch());
        f.put("messages", world.messagesSent);
        f.put("messages_lost", world.messagesLost);
        f.put("healed_after_ms", healedAfterMillis);
        return f;
    }
}
