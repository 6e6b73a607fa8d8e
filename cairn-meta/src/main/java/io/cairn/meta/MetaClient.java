package io.cairn.meta;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection to the meta Raft group, used by every node: submits {@link MetaCommand}s
 * through the leader and reads the replicated {@link MetaState} linearizably. Thread-safe.
 */
public final class MetaClient implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MetaClient.class);

    /** How long one request to one voter may take before the next is tried. */
    static final long REQUEST_TIMEOUT_MILLIS = 3_000;
    /** Pause between attempts while there is no leader. */
    static final long RETRY_SLEEP_MILLIS = 300;
    /** Attempts per command: with the pauses, about 15 s without a leader. */
    static final int ATTEMPTS_MAX = 50;
    /**
     * Attempts after which a request whose latest attempt timed out gives up: a voter that lets
     * requests time out (packets dropped, across a network cut) costs the whole request timeout
     * at each attempt, so 50 of them would hold a caller for nearly 3 minutes; 5 hold it about
     * 16 s, as refusals from a group without a leader do.
     */
    static final int TIMED_OUT_ATTEMPTS_MAX = 5;
    /** How long {@link #connect} looks for a voter that answers. */
    static final long CONNECT_TIMEOUT_MILLIS = 15_000;

    private final RaftGroup group;
    private final RaftClient raft;

    private MetaClient(RaftGroup group, RetryPolicy retryPolicy, io.cairn.meta.tls.NodeCredentials tls) {
        this.group = group;
        this.raft = RaftClient.newBuilder()
                .setProperties(clientProperties())
                .setParameters(RaftTls.parameters(tls))
                .setRaftGroup(group)
                .setRetryPolicy(org.apache.ratis.retry.ExceptionDependentRetry.newBuilder()
                        // A refusal is the leader's answer, not a failure to reach it: asking again changes nothing.
                        .setExceptionToPolicy(ClusterMapRaftDriver.RefusedCommandException.class, RetryPolicies.noRetry())
                        .setExceptionToPolicy(org.apache.ratis.protocol.exceptions.TimeoutIOException.class,
                                RetryPolicies.retryUpToMaximumCountWithFixedSleep(TIMED_OUT_ATTEMPTS_MAX,
                                        TimeDuration.valueOf(RETRY_SLEEP_MILLIS, TimeUnit.MILLISECONDS)))
                        .setDefaultPolicy(retryPolicy)
                        .build())
                .build();
    }

    /** A client for a group whose voters are all known, as a voter itself knows them. */
    static MetaClient forGroup(RaftGroup group, int attemptsMax, io.cairn.meta.tls.NodeCredentials tls) {
        return new MetaClient(group, RetryPolicies.retryUpToMaximumCountWithFixedSleep(
                attemptsMax, TimeDuration.valueOf(RETRY_SLEEP_MILLIS, TimeUnit.MILLISECONDS)), tls);
    }

    /**
     * Connects to the meta group of {@code clusterName}. {@code knownVoterAddresses} may be any
     * subset of the voters: the first that answers tells the whole group.
     *
     * @throws MetaUnavailableException if no listed voter answers within about 15 s
     */
    public static MetaClient connect(String clusterName, List<String> knownVoterAddresses) {
        return connect(clusterName, knownVoterAddresses, CONNECT_TIMEOUT_MILLIS, null);
    }

    /**
     * As {@link #connect(String, List)}, over mutual TLS with {@code tls} (null: plaintext).
     */
    public static MetaClient connect(String clusterName, List<String> knownVoterAddresses, io.cairn.meta.tls.NodeCredentials tls) {
        return connect(clusterName, knownVoterAddresses, CONNECT_TIMEOUT_MILLIS, tls);
    }

    static MetaClient connect(String clusterName, List<String> knownVoterAddresses, long connectTimeoutMillis) {
        return connect(clusterName, knownVoterAddresses, connectTimeoutMillis, null);
    }

    /** As {@link #connect(String, List, io.cairn.meta.tls.NodeCredentials)}, giving up after {@code connectTimeoutMillis}. */
    public static MetaClient connect(String clusterName, List<String> knownVoterAddresses, long connectTimeoutMillis,
                                     io.cairn.meta.tls.NodeCredentials tls) {
        RaftGroupId groupId = MetaGroup.groupId(clusterName);
        MetaGroup.requireVoters(knownVoterAddresses);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(connectTimeoutMillis);
        Exception last = null;
        while (true) {
            for (String address : knownVoterAddresses) {
                RaftPeer peer = MetaGroup.peer(address);
                try (RaftClient probe = RaftClient.newBuilder()
                        .setProperties(clientProperties())
                        .setParameters(RaftTls.parameters(tls))
                        .setRaftGroup(RaftGroup.valueOf(groupId, peer))
                        .setRetryPolicy(RetryPolicies.noRetry())
                        .build()) {
                    GroupInfoReply info = probe.getGroupManagementApi(peer.getId()).info(groupId);
                    RaftGroup group = info.getGroup();
                    if (group != null && !group.getPeers().isEmpty()) {
                        LOG.info("meta group {} has voters {}", groupId, group.getPeers());
                        return forGroup(group, ATTEMPTS_MAX, tls);
                    }
                } catch (InterruptedIOException e) {
                    Thread.currentThread().interrupt();
                    throw new MetaUnavailableException("interrupted while connecting to meta voters " + knownVoterAddresses, e);
                } catch (IOException | RuntimeException e) {
                    // The admin call reports a refused connection as an unchecked gRPC status.
                    last = e;
                }
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new MetaUnavailableException("no meta voter of cluster '" + clusterName + "' answered among "
                        + knownVoterAddresses + " within " + connectTimeoutMillis + " ms", last);
            }
            try {
                Thread.sleep(RETRY_SLEEP_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MetaUnavailableException("interrupted while connecting to meta voters " + knownVoterAddresses, e);
            }
        }
    }

    /** Host:port of every voter of the group, as learned on connect. */
    public List<String> voterAddresses() {
        List<String> addresses = new ArrayList<>();
        for (RaftPeer peer : group.getPeers()) {
            addresses.add(peer.getAddress());
        }
        return addresses;
    }

    /**
     * Applies {@code command} through the leader and returns its result once committed.
     *
     * @throws MetaUnavailableException if no leader accepted it within about 15 s
     */
    public MetaResult submit(MetaCommand command) {
        Objects.requireNonNull(command, "command");
        byte[] json = MetaJson.write(command);
        RaftClientReply reply = call("submit " + command.getClass().getSimpleName(),
                () -> raft.io().send(Message.valueOf(ByteString.copyFrom(json))));
        return MetaJson.read(reply.getMessage().getContent().toByteArray(), MetaResult.class);
    }

    /**
     * The replicated state as of a moment after this call began (a linearizable read).
     *
     * @throws MetaUnavailableException if no leader answered within about 15 s
     */
    public MetaState read() {
        RaftClientReply reply = call("read",
                () -> raft.io().sendReadOnly(Message.valueOf(ClusterMapRaftDriver.QUERY_STATE)));
        return MetaJson.read(reply.getMessage().getContent().toByteArray(), MetaState.class);
    }

    /** The backup mark alone, as {@link #read()} would give it (a linearizable read of less). */
    public BackupMark readBackupMark() {
        RaftClientReply reply = call("read of the backup mark",
                () -> raft.io().sendReadOnly(Message.valueOf(ClusterMapRaftDriver.QUERY_BACKUP_MARK)));
        return MetaJson.read(reply.getMessage().getContent().toByteArray(), BackupMark.class);
    }

    /** The backup site this cluster ships to, alone, as {@link #read()} would give it; null for none. */
    public BackupTarget readBackupTarget() {
        RaftClientReply reply = call("read of the backup target",
                () -> raft.io().sendReadOnly(Message.valueOf(ClusterMapRaftDriver.QUERY_BACKUP_TARGET)));
        return MetaJson.read(reply.getMessage().getContent().toByteArray(), BackupTarget.class);
    }

    @Override
    public void close() {
        try {
            raft.close();
        } catch (IOException e) {
            LOG.warn("closing meta client: {}", e.toString());
        }
    }

    private interface RaftCall {
        RaftClientReply run() throws IOException;
    }

    private RaftClientReply call(String what, RaftCall call) {
        RaftClientReply reply;
        try {
            reply = call.run();
        } catch (StateMachineException | ClusterMapRaftDriver.RefusedCommandException e) {
            throw new IllegalArgumentException("meta group refused " + what + ": " + e.getMessage(), e);
        } catch (InterruptedIOException e) {
            Thread.currentThread().interrupt();
            throw new MetaUnavailableException("interrupted during meta " + what, e);
        } catch (IOException e) {
            for (Throwable cause = e; cause != null; cause = cause.getCause()) {
                if (cause instanceof ClusterMapRaftDriver.RefusedCommandException refused) {
                    // The answer to the last attempt, after earlier ones found no leader ready.
                    throw new IllegalArgumentException("meta group refused " + what + ": " + refused.getMessage(), refused);
                }
            }
            throw new MetaUnavailableException("meta " + what + " failed: " + e.getMessage(), e);
        }
        if (!reply.isSuccess()) {
            if (reply.getStateMachineException() != null) {
                throw new IllegalArgumentException("meta group refused " + what + ": "
                        + reply.getStateMachineException().getMessage(), reply.getStateMachineException());
            }
            throw new MetaUnavailableException("meta " + what + " failed: " + reply.getException(), reply.getException());
        }
        return reply;
    }

    private static RaftProperties clientProperties() {
        RaftProperties properties = new RaftProperties();
        RaftClientConfigKeys.Rpc.setRequestTimeout(properties,
                TimeDuration.valueOf(REQUEST_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
        return properties;
    }
}
