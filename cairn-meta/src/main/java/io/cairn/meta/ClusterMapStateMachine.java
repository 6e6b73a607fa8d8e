package io.cairn.meta;

import io.cairn.core.map.BucketInfo;
import io.cairn.core.map.ClusterMap;
import io.cairn.core.map.NodeInfo;
import io.cairn.core.map.NodeState;
import io.cairn.core.map.NodeStats;
import io.cairn.core.map.PoolInfo;
import io.cairn.core.map.StoragePolicy;
import io.cairn.core.map.UserInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The pure logic of the cluster map: {@code (state, command) -> (new state, result)}. Every
 * change to the map advances its epoch by exactly one; a no-op or an error leaves the state
 * (and the epoch) untouched. No clock, no I/O: every voter computes the same result.
 */
public final class ClusterMapStateMachine {

    /** The state after a command and what the command's submitter is told. */
    public record Applied(MetaState state, MetaResult result) {
    }

    public Applied apply(MetaState state, MetaCommand command) {
        Applied applied = switch (command) {
            case MetaCommand.Bootstrap c -> bootstrap(state, c);
            case MetaCommand.RegisterNode c -> registerNode(state, c);
            case MetaCommand.Heartbeat c -> heartbeat(state, c);
            case MetaCommand.MarkDown c -> markDown(state, c);
            case MetaCommand.MarkOut c -> markIn(state, c.nodeId(), false);
            case MetaCommand.MarkIn c -> markIn(state, c.nodeId(), true);
            case MetaCommand.RemoveNode c -> removeNode(state, c);
            case MetaCommand.AddJoinToken c -> addJoinToken(state, c);
            case MetaCommand.UseJoinToken c -> useJoinToken(state, c);
            case MetaCommand.StoreClusterCaKey c -> storeClusterCaKey(state, c);
            case MetaCommand.SetDegradedMode c -> setDegradedMode(state, c);
            case MetaCommand.CreatePool c -> createPool(state, c);
            case MetaCommand.CreateBucket c -> createBucket(state, c);
            case MetaCommand.DeleteBucket c -> deleteBucket(state, c);
            case MetaCommand.PutUser c -> putUser(state, c);
            case MetaCommand.DeleteUser c -> deleteUser(state, c);
            case MetaCommand.DeleteKey c -> deleteKey(state, c);
            case MetaCommand.ResealSecret c -> resealSecret(state, c);
            case MetaCommand.SetBucketAccess c -> setBucketAccess(state, c);
            case MetaCommand.SetBucketEncryption c -> updateBucket(state, c.bucket(), b -> b.withDefaultEncryption(c.algorithm()));
            case MetaCommand.SetBucketPolicy c -> updateBucket(state, c.bucket(), b -> b.withPolicy(c.policy()));
            case MetaCommand.SetBucketCors c -> updateBucket(state, c.bucket(), b -> b.withCors(c.cors()));
            case MetaCommand.SetBucketLifecycle c -> updateBucket(state, c.bucket(), b -> b.withLifecycle(c.lifecycle()));
            case MetaCommand.SetBucketTags c -> updateBucket(state, c.bucket(), b -> b.withTags(c.tags()));
            case MetaCommand.SetBucketPublicAccessBlock c -> updateBucket(state, c.bucket(), b -> b.withPublicAccessBlock(c.block()));
            case MetaCommand.SetBucketOwnership c -> updateBucket(state, c.bucket(), b -> b.withObjectOwnership(c.objectOwnership()));
            case MetaCommand.ClearActing c -> clearActing(state, c);
            case MetaCommand.RecordCut c -> state.cutLog().open(c.round())
                    ? new Applied(state.withCuts(state.cutLog().record(new CutLog.Cut(c.round(), c.boundaries(), c.atMillis()))),
                            MetaResult.success(state.map().epoch()))
                    : new Applied(state, MetaResult.failure(MetaResult.CUT_CLOSED, state.map().epoch()));
            case MetaCommand.FenceCut c -> new Applied(state.withCuts(state.cutLog().fence(c.round())), MetaResult.success(state.map().epoch()));
            case MetaCommand.ShowBackupRound c -> state.backupMark().shipping() && c.round() > state.backupMark().shownRound()
                    ? new Applied(state.withBackup(new BackupMark(c.round(), c.atMillis(), BackupMark.SHIPPING)),
                            MetaResult.success(state.map().epoch()))
                    : new Applied(state, MetaResult.failure(MetaResult.BACKUP_CLOSED, state.map().epoch()));
            case MetaCommand.PromoteBackup c -> promoteBackup(state, c);
            case MetaCommand.SetBackupTarget c -> new Applied(state.withBackupTarget(c.target()), MetaResult.success(state.map().epoch()));
        };
        if (!(command instanceof MetaCommand.SetBackupTarget) && applied.state() != state
                && !java.util.Objects.equals(applied.state().backupTarget(), state.backupTarget())) {
            // So does the backup site this cluster ships to.
            applied = new Applied(applied.state().withBackupTarget(state.backupTarget()), applied.result());
        }
        if (!(command instanceof MetaCommand.ShowBackupRound || command instanceof MetaCommand.PromoteBackup) && applied.state() != state
                && !java.util.Objects.equals(applied.state().backup(), state.backup())) {
            // The backup site's mark passes unchanged through every command but its own.
            applied = new Applied(applied.state().withBackup(state.backup()), applied.result());
        }
        if (!(command instanceof MetaCommand.RecordCut || command instanceof MetaCommand.FenceCut) && applied.state() != state
                && !java.util.Objects.equals(applied.state().cuts(), state.cuts())) {
            // The record of consistent cuts passes unchanged through every command but its own.
            applied = new Applied(applied.state().withCuts(state.cuts()), applied.result());
        }
        boolean tokenCommand = command instanceof MetaCommand.AddJoinToken || command instanceof MetaCommand.UseJoinToken;
        if (!tokenCommand && applied.state() != state && !applied.state().joinTokens().equals(state.joinTokens())) {
            // Join tokens pass unchanged through every command but the two about them.
            applied = new Applied(applied.state().withJoinTokens(state.joinTokens()), applied.result());
        }
        if (!(command instanceof MetaCommand.StoreClusterCaKey) && applied.state() != state
                && !java.util.Objects.equals(applied.state().clusterCaKey(), state.clusterCaKey())) {
            // So does the sealed CA key, but for the command that stores it.
            applied = new Applied(applied.state().withClusterCaKey(state.clusterCaKey()), applied.result());
        }
        // The nodes down for a cut between sites: a MarkDown for one adds it, and a node leaves the
        // set once it is up again (or gone from the map).
        java.util.Set<String> downForCut = new java.util.TreeSet<>(state.downForCut());
        if (command instanceof MetaCommand.MarkDown md && md.forCut() && applied.result().ok()) {
            downForCut.add(md.nodeId());
        }
        ClusterMap mapNow = applied.state().map();
        downForCut.removeIf(id -> mapNow.node(id).map(NodeInfo::isUp).orElse(true));
        if (!downForCut.equals(applied.state().downForCut())) {
            applied = new Applied(applied.state().withDownForCut(downForCut), applied.result());
        }
        long before = state.map().epoch();
        long after = applied.state().map().epoch();
        if (after == before + 1) {
            // Every map change may move partitions: erasure-coded blocks keep their slots, and old
            // primaries keep acting where new ones lag.
            // Both start from the same two placements, computed once.
            ClusterMap next = applied.state().map();
            var placed = io.cairn.core.placement.PlacementTable.compute(state.map(), ActingSets.PLACEMENT);
            var fresh = io.cairn.core.placement.PlacementTable.compute(next.withPins(List.of()).withActing(List.of()), ActingSets.PLACEMENT);
            var stats = applied.state().stats();
            ClusterMap withActing = next.withPins(SlotPins.update(state.map(), placed, next, fresh, stats))
                    .withActing(ActingSets.update(state.map(), placed, next, fresh, stats));
            // And every map says since when each partition's up holders are what they are in it.
            var finalPlacement = withActing.pins().isEmpty() && withActing.acting().isEmpty() ? fresh
                    : io.cairn.core.placement.PlacementTable.compute(withActing, ActingSets.PLACEMENT);
            withActing = HoldersSince.update(state.map(), placed, withActing, finalPlacement);
            if (!withActing.equals(next)) {
                applied = new Applied(applied.state().withMap(withActing), applied.result());
            }
        }
        if (after != before && after != before + 1) {
            throw new IllegalStateException("epoch jumped from " + before + " to " + after + " on " + command);
        }
        if (!applied.result().ok() && applied.state() != state) {
            throw new IllegalStateException("a failed command changed the state: " + command);
        }
        return applied;
    }

    private static Applied bootstrap(MetaState state, MetaCommand.Bootstrap c) {
        ClusterMap map = state.map();
        if (!map.clusterId().isEmpty()) {
            return unchanged(state);
        }
        List<UserInfo> users = replaceUser(map.users(), c.rootUser());
        // Pools created before the bootstrap landed (buckets may use them) stay as they are.
        List<PoolInfo> pools = new ArrayList<>(map.pools());
        for (PoolInfo p : c.pools()) {
            if (map.pool(p.name()).isEmpty()) {
                pools.add(p);
            }
        }
        ClusterMap next = new ClusterMap(map.epoch() + 1, c.clusterId(), map.nodes(), pools, map.buckets(), users,
                map.degradedReason(), map.acting(), map.pins(), map.removed());
        return changed(next, state.stats());
    }

    private static Applied registerNode(MetaState state, MetaCommand.RegisterNode c) {
        ClusterMap map = state.map();
        NodeInfo node = c.node().withState(NodeState.UP).withIn(true);
        if (map.isRemoved(node.id())) {
            return failed(state, MetaResult.NODE_REMOVED);
        }
        Optional<NodeInfo> existing = map.node(node.id());
        if (existing.isPresent() && !existing.get().isUp() && PeerReachability.fenced(node.id(), map, state.stats())) {
            // Back from a restart while its peers still cannot reach it: it stays down (and out, if
            // it was), as on a heartbeat, until they can.
            node = node.withState(existing.get().state()).withIn(existing.get().in());
        }
        if (existing.isPresent() && existing.get().equals(node)) {
            return unchanged(state);
        }
        List<NodeInfo> nodes = new ArrayList<>(map.nodes().size() + 1);
        for (NodeInfo n : map.nodes()) {
            if (!n.id().equals(node.id())) {
                nodes.add(n);
            }
        }
        nodes.add(node);
        return changed(map.next(nodes, map.pools(), map.buckets(), map.users()), state.stats());
    }

    private static Applied heartbeat(MetaState state, MetaCommand.Heartbeat c) {
        ClusterMap map = state.map();
        NodeStats stats = c.stats();
        Optional<NodeInfo> node = map.node(stats.nodeId());
        if (node.isEmpty()) {
            return failed(state, map.isRemoved(stats.nodeId()) ? MetaResult.NODE_REMOVED : MetaResult.NO_SUCH_NODE);
        }
        NodeStats previous = state.stats().get(stats.nodeId());
        if (!node.get().isUp() && previous != null && stats.lastHeartbeatMillis() < previous.lastHeartbeatMillis()) {
            // A down node's heartbeat sent before one already taken (the network held it back):
            // its older suspicions must not let a node taken out for a cut back up.
            return unchanged(state);
        }
        Map<String, NodeStats> newStats = new TreeMap<>(state.stats());
        newStats.put(stats.nodeId(), stats);
        if (node.get().isUp() || PeerReachability.fenced(stats.nodeId(), map, newStats)) {
            // Up already, or down because its peers cannot work with it and they still cannot.
            return new Applied(new MetaState(map, newStats), MetaResult.success(map.epoch()));
        }
        // A node that comes back is in again: it was marked out only because it was away.
        List<NodeInfo> nodes = withNode(map.nodes(), node.get().withState(NodeState.UP).withIn(true));
        return changed(map.next(nodes, map.pools(), map.buckets(), map.users()), newStats);
    }

    private static Applied markIn(MetaState state, String nodeId, boolean in) {
        ClusterMap map = state.map();
        Optional<NodeInfo> node = map.node(nodeId);
        if (node.isEmpty()) {
            return failed(state, MetaResult.NO_SUCH_NODE);
        }
        if (node.get().in() == in) {
            return unchanged(state);
        }
        if (in && node.get().tiebreaker()) {
            return failed(state, MetaResult.NODE_IS_TIEBREAKER);
        }
        List<NodeInfo> nodes = withNode(map.nodes(), node.get().withIn(in));
        return changed(map.next(nodes, map.pools(), map.buckets(), map.users()), state.stats());
    }

    /**
     * Removes a node for good and revokes its id. Only a node that holds nothing any more may go:
     * out of placement (drained, or marked out after being down), named by no slot pin, and the
     * cluster settled since (no acting set, every node in up and reporting the current map with
     * no partition recovering: its partitions have been re-protected elsewhere). A meta voter
     * stays: the voters are fixed when the cluster is created.
     */
    private static Applied removeNode(MetaState state, MetaCommand.RemoveNode c) {
        ClusterMap map = state.map();
        Optional<NodeInfo> node = map.node(c.nodeId());
        if (node.isEmpty()) {
            return failed(state, map.isRemoved(c.nodeId()) ? MetaResult.NODE_REMOVED : MetaResult.NO_SUCH_NODE);
        }
        if (node.get().metaAddress() != null) {
            return failed(state, MetaResult.NODE_IS_VOTER);
        }
        if (node.get().in()) {
            return failed(state, MetaResult.NODE_NOT_DRAINED);
        }
        boolean holds = map.acting().stream().anyMatch(a -> a.holders().contains(c.nodeId()))
                || map.pins().stream().anyMatch(p -> p.holders().contains(c.nodeId()))
                || !state.settled();
        if (holds) {
            return failed(state, MetaResult.NODE_STILL_HOLDS_DATA);
        }
        Map<String, NodeStats> stats = new TreeMap<>(state.stats());
        stats.remove(c.nodeId());
        return changed(map.withoutNode(c.nodeId()), stats);
    }

    private static Applied addJoinToken(MetaState state, MetaCommand.AddJoinToken c) {
        java.util.SortedMap<String, Long> tokens = unexpired(state.joinTokens(), c.nowMillis());
        if (tokens.containsKey(c.secretHash())) {
            return failed(state, MetaResult.JOIN_TOKEN_INVALID);
        }
        if (tokens.size() >= MetaCommand.JOIN_TOKENS_MAX) {
            return failed(state, MetaResult.TOO_MANY_JOIN_TOKENS);
        }
        tokens.put(c.secretHash(), c.expiresMillis());
        return new Applied(state.withJoinTokens(tokens), MetaResult.success(state.map().epoch()));
    }

    private static Applied useJoinToken(MetaState state, MetaCommand.UseJoinToken c) {
        Long expires = state.joinTokens().get(c.secretHash());
        if (expires == null || expires <= c.nowMillis()) {
            return failed(state, MetaResult.JOIN_TOKEN_INVALID);
        }
        if (state.map().isRemoved(c.nodeId())) {
            return failed(state, MetaResult.NODE_REMOVED);
        }
        java.util.SortedMap<String, Long> tokens = unexpired(state.joinTokens(), c.nowMillis());
        tokens.remove(c.secretHash());
        return new Applied(state.withJoinTokens(tokens), MetaResult.success(state.map().epoch()));
    }

    private static Applied storeClusterCaKey(MetaState state, MetaCommand.StoreClusterCaKey c) {
        ClusterCaKey have = state.clusterCaKey();
        if (have != null && !have.caFingerprint().equals(c.key().caFingerprint())) {
            return failed(state, MetaResult.OTHER_CLUSTER_CA);
        }
        if (c.key().equals(have)) {
            return unchanged(state);
        }
        return new Applied(state.withClusterCaKey(c.key()), MetaResult.success(state.map().epoch()));
    }

    private static java.util.SortedMap<String, Long> unexpired(Map<String, Long> tokens, long nowMillis) {
        java.util.SortedMap<String, Long> kept = new TreeMap<>();
        tokens.forEach((hash, expires) -> {
            if (expires > nowMillis) {
                kept.put(hash, expires);
            }
        });
        return kept;
    }

    private static Applied setDegradedMode(MetaState state, MetaCommand.SetDegradedMode c) {
        ClusterMap map = state.map();
        if (java.util.Objects.equals(map.degradedReason(), c.reason())) {
            return unchanged(state);
        }
        return changed(map.withDegradedReason(c.reason()), state.stats());
    }

    private static Applied markDown(MetaState state, MetaCommand.MarkDown c) {
        ClusterMap map = state.map();
        Optional<NodeInfo> node = map.node(c.nodeId());
        if (node.isEmpty()) {
            return failed(state, MetaResult.NO_SUCH_NODE);
        }
        if (!node.get().isUp()) {
            return unchanged(state);
        }
        List<NodeInfo> nodes = withNode(map.nodes(), node.get().withState(NodeState.DOWN));
        return changed(map.next(nodes, map.pools(), map.buckets(), map.users()), state.stats());
    }

    private static Applied createPool(MetaState state, MetaCommand.CreatePool c) {
        ClusterMap map = state.map();
        PoolInfo pool = c.pool();
        Optional<PoolInfo> existing = map.pool(pool.name());
        if (existing.isPresent()) {
            return existing.get().equals(pool) ? unchanged(state) : failed(state, MetaResult.POOL_EXISTS);
        }
        if (map.pools().size() >= MetaCommand.POOLS_MAX) {
            return failed(state, MetaResult.TOO_MANY_POOLS);
        }
        List<PoolInfo> pools = new ArrayList<>(map.pools());
        pools.add(pool);
        return changed(map.next(map.nodes(), pools, map.buckets(), map.users()), state.stats());
    }

    private static Applied promoteBackup(MetaState state, MetaCommand.PromoteBackup c) {
        BackupMark now = state.backupMark();
        boolean taken = switch (c.stage()) {
            case BackupMark.PROMOTING -> now.shipping() && now.shownRound() > 0;
            case BackupMark.PROMOTED -> BackupMark.PROMOTING.equals(now.stage()) || BackupMark.PROMOTED.equals(now.stage());
            case BackupMark.SETTLED -> BackupMark.PROMOTED.equals(now.stage());
            default -> false;
        };
        if (!taken) {
            return new Applied(state, MetaResult.failure(MetaResult.BACKUP_CLOSED, state.map().epoch()));
        }
        return new Applied(state.withBackup(new BackupMark(now.shownRound(), now.shownAtMillis(), c.stage())),
                MetaResult.success(state.map().epoch()));
    }

    private static Applied createBucket(MetaState state, MetaCommand.CreateBucket c) {
        ClusterMap map = state.map();
        BucketInfo bucket = c.bucket();
        Optional<BucketInfo> existing = map.bucket(bucket.name());
        if (existing.isPresent()) {
            boolean sameOwner = io.cairn.core.access.BucketAccess.ownerName(map, existing.get())
                    .equals(io.cairn.core.access.BucketAccess.ownerName(map, bucket));
            return failed(state, sameOwner ? MetaResult.BUCKET_OWNED_BY_YOU : MetaResult.BUCKET_ALREADY_EXISTS);
        }
        Optional<PoolInfo> indexPool = map.pool(bucket.pool());
        if (indexPool.isEmpty() || map.pool(bucket.dataPoolName()).isEmpty()) {
            return failed(state, MetaResult.NO_SUCH_POOL);
        }
        if (c.ownerBucketsMax() > 0) {
            String owner = io.cairn.core.access.BucketAccess.ownerName(map, bucket);
            long owned = map.buckets().stream().filter(b -> io.cairn.core.access.BucketAccess.ownerName(map, b).equals(owner)).count();
            if (owned >= c.ownerBucketsMax()) {
                return failed(state, MetaResult.TOO_MANY_BUCKETS);
            }
        }
        if (indexPool.get().policy().kind() != StoragePolicy.Kind.REPLICATED) {
            return failed(state, MetaResult.INDEX_POOL_NOT_REPLICATED);
        }
        List<BucketInfo> buckets = new ArrayList<>(map.buckets());
        buckets.add(bucket);
        return changed(map.next(map.nodes(), map.pools(), buckets, map.users()), state.stats());
    }

    private static Applied deleteBucket(MetaState state, MetaCommand.DeleteBucket c) {
        ClusterMap map = state.map();
        if (map.bucket(c.name()).isEmpty()) {
            return failed(state, MetaResult.NO_SUCH_BUCKET);
        }
        List<BucketInfo> buckets = map.buckets().stream().filter(b -> !b.name().equals(c.name())).toList();
        return changed(map.next(map.nodes(), map.pools(), buckets, map.users()), state.stats());
    }

    private static Applied putUser(MetaState state, MetaCommand.PutUser c) {
        ClusterMap map = state.map();
        Optional<UserInfo> existing = map.user(c.user().accessKey());
        if (existing.filter(c.user()::equals).isPresent()) {
            return unchanged(state);
        }
        if (existing.isPresent()) {
            return failed(state, MetaResult.KEY_EXISTS);
        }
        if (map.users().stream().anyMatch(u -> u.name().equals(c.user().name()) && u.admin() != c.user().admin())) {
            return failed(state, MetaResult.ADMIN_MISMATCH);
        }
        return changed(map.next(map.nodes(), map.pools(), map.buckets(), replaceUser(map.users(), c.user())), state.stats());
    }

    private static Applied resealSecret(MetaState state, MetaCommand.ResealSecret c) {
        ClusterMap map = state.map();
        Optional<UserInfo> existing = map.user(c.accessKey());
        if (existing.isEmpty()) {
            return failed(state, MetaResult.NO_SUCH_KEY);
        }
        UserInfo u = existing.get();
        if (!u.secretKey().equals(c.expected())) {
            return failed(state, MetaResult.SECRET_CHANGED);
        }
        if (c.sealed().equals(c.expected())) {
            return unchanged(state);
        }
        return changed(map.next(map.nodes(), map.pools(), map.buckets(),
                replaceUser(map.users(), new UserInfo(u.accessKey(), c.sealed(), u.name(), u.admin(), u.readOnly()))), state.stats());
    }

    private static Applied deleteUser(MetaState state, MetaCommand.DeleteUser c) {
        ClusterMap map = state.map();
        if (map.users().stream().noneMatch(u -> u.name().equals(c.name()))) {
            return failed(state, MetaResult.NO_SUCH_USER);
        }
        if (map.buckets().stream().anyMatch(b -> io.cairn.core.access.BucketAccess.ownerName(map, b).equals(c.name()))) {
            return failed(state, MetaResult.USER_OWNS_BUCKETS);
        }
        List<UserInfo> rest = map.users().stream().filter(u -> !u.name().equals(c.name())).toList();
        if (!hasWritingAdmin(rest)) {
            return failed(state, MetaResult.LAST_ADMIN);
        }
        return changed(map.next(map.nodes(), map.pools(), map.buckets(), rest), state.stats());
    }

    private static Applied deleteKey(MetaState state, MetaCommand.DeleteKey c) {
        ClusterMap map = state.map();
        if (map.user(c.accessKey()).isEmpty()) {
            return failed(state, MetaResult.NO_SUCH_KEY);
        }
        List<UserInfo> rest = map.users().stream().filter(u -> !u.accessKey().equals(c.accessKey())).toList();
        if (!hasWritingAdmin(rest)) {
            return failed(state, MetaResult.LAST_ADMIN);
        }
        // A bucket owned through this key (a map written before owners were users) stays with its user.
        String owner = map.user(c.accessKey()).get().name();
        List<BucketInfo> buckets = map.buckets().stream()
                .map(b -> b.owner().equals(c.accessKey())
                        ? b.withOwner(owner)
                        : b)
                .toList();
        return changed(map.next(map.nodes(), map.pools(), buckets, rest), state.stats());
    }

    private static boolean hasWritingAdmin(List<UserInfo> users) {
        return users.stream().anyMatch(u -> u.admin() && !u.readOnly());
    }

    private static Applied setBucketAccess(MetaState state, MetaCommand.SetBucketAccess c) {
        ClusterMap map = state.map();
        Optional<BucketInfo> b = map.bucket(c.bucket());
        if (b.isEmpty()) {
            return failed(state, MetaResult.NO_SUCH_BUCKET);
        }
        BucketInfo updated = b.get().withAccess(c.grants(), c.publicRead());
        if (updated.equals(b.get())) {
            return unchanged(state);
        }
        List<BucketInfo> buckets = map.buckets().stream().map(x -> x.name().equals(c.bucket()) ? updated : x).toList();
        return changed(map.next(map.nodes(), map.pools(), buckets, map.users()), state.stats());
    }

    private static Applied updateBucket(MetaState state, String name, java.util.function.UnaryOperator<BucketInfo> change) {
        ClusterMap map = state.map();
        Optional<BucketInfo> b = map.bucket(name);
        if (b.isEmpty()) {
            return failed(state, MetaResult.NO_SUCH_BUCKET);
        }
        BucketInfo updated = change.apply(b.get());
        if (updated.equals(b.get())) {
            return unchanged(state);
        }
        List<BucketInfo> buckets = map.buckets().stream().map(x -> x.name().equals(name) ? updated : x).toList();
        return changed(map.next(map.nodes(), map.pools(), buckets, map.users()), state.stats());
    }

    private static List<NodeInfo> withNode(List<NodeInfo> nodes, NodeInfo replacement) {
        return nodes.stream().map(n -> n.id().equals(replacement.id()) ? replacement : n).toList();
    }

    private static List<UserInfo> replaceUser(List<UserInfo> users, UserInfo user) {
        List<UserInfo> result = new ArrayList<>(users.size() + 1);
        for (UserInfo u : users) {
            if (!u.accessKey().equals(user.accessKey())) {
                result.add(u);
            }
        }
        result.add(user);
        return result;
    }

    private static Applied clearActing(MetaState state, MetaCommand.ClearActing c) {
        ClusterMap map = state.map();
        List<io.cairn.core.map.ActingSet> kept = map.acting().stream().filter(a -> !c.sets().contains(a)).toList();
        if (kept.size() == map.acting().size()) {
            return unchanged(state);
        }
        ClusterMap next = new ClusterMap(map.epoch() + 1, map.clusterId(), map.nodes(), map.pools(), map.buckets(), map.users(),
                map.degradedReason(), kept, map.pins(), map.removed(), map.holdersSince(), map.upSince());
        return changed(next, state.stats());
    }

    private static Applied changed(ClusterMap next, Map<String, NodeStats> stats) {
        return new Applied(new MetaState(next, stats), MetaResult.success(next.epoch()));
    }

    private static Applied unchanged(MetaState state) {
        return new Applied(state, MetaResult.success(state.map().epoch()));
    }

    private static Applied failed(MetaState state, String error) {
        return new Applied(state, MetaResult.failure(error, state.map().epoch()));
    }
}
