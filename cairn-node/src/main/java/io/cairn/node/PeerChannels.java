package io.cairn.node;

import io.cairn.core.map.NodeInfo;
import io.cairn.node.rpc.NodeRpcGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import io.cairn.node.rpc.ApplyRequest;
import io.cairn.node.rpc.GetRequest;
import io.cairn.node.rpc.HandOverRequest;
import io.cairn.node.rpc.MirrorRequest;
import io.cairn.node.rpc.PingRequest;
import io.cairn.node.rpc.RepairRequest;
import io.cairn.node.rpc.ScanRequest;
import io.cairn.node.rpc.SinceRequest;
import io.cairn.node.rpc.WireCodec;
import io.cairn.protocol.Reply;
import io.cairn.protocol.Request;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;

/**
 * gRPC channels to the other nodes, one per cluster address, created on first use. Calls a node
 * makes to itself (its gateway reaching a partition it is primary of, say) take an in-process
 * channel to its own service: the same service and codec, no socket and no HTTP/2 framing.
 */
public final class PeerChannels implements AutoCloseable {

    /** Largest node-to-node message: one chunk plus its record. */
    public static final int MESSAGE_BYTES_MAX = NodeRuntimeConfig.CHUNK_SIZE_MAX + (1 << 20);

    private final MapView mapView;
    private final long rpcTimeoutMillis;
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    /** This node's id, and the in-process channel to its own service (null: every call takes the network). */
    private final String selfId;
    private final ManagedChannel selfChannel;

    private volatile java.util.Set<String> upNodes = java.util.Set.of();
    /** The emulated wide-area links to nodes of other sites ({@link io.cairn.meta.SiteLinks#NONE}: none). */
    private final io.cairn.meta.SiteLinks siteLinks;
    /** Mutual TLS towards the other nodes (null: plaintext). */
    private final io.grpc.netty.shaded.io.netty.handler.ssl.SslContext tls;

    public PeerChannels(MapView mapView, long rpcTimeoutMillis) {
        this(mapView, rpcTimeoutMillis, null, null, null);
    }

    /**
     * @param selfId      this node's id
     * @param selfChannel an in-process channel to this node's own service, used for calls to {@code selfId}
     * @param credentials this node's certificate and the cluster CA: every call to another node goes
     *                    over mutual TLS and checks that the certificate it meets names the node it
     *                    meant to reach; null for plaintext
     */
    public PeerChannels(MapView mapView, long rpcTimeoutMillis, String selfId, ManagedChannel selfChannel,
                        io.cairn.meta.tls.NodeCredentials credentials) {
        this(mapView, rpcTimeoutMillis, selfId, selfChannel, credentials, null);
    }

    /**
     * @param siteLinks for tests: the emulated links that calls to nodes of other sites than this
     *                  node's go through (see {@link SiteDelay}); null for none
     */
    public PeerChannels(MapView mapView, long rpcTimeoutMillis, String selfId, ManagedChannel selfChannel,
                        io.cairn.meta.tls.NodeCredentials credentials, io.cairn.meta.SiteLinks siteLinks) {
        this.siteLinks = siteLinks == null ? io.cairn.meta.SiteLinks.NONE : siteLinks;
        this.mapView = mapView;
        this.rpcTimeoutMillis = rpcTimeoutMillis;
        this.selfId = selfId;
        this.selfChannel = selfChannel;
        this.tls = credentials == null ? null : clientContext(credentials);
        mapView.addListener(this::onMap);
        if (credentials != null) {
            // Nodes removed from the cluster are refused on every connection, both ways.
            mapView.addListener(current -> credentials.revoke(current.map().removed()));
        }
    }

    private static io.grpc.netty.shaded.io.netty.handler.ssl.SslContext clientContext(io.cairn.meta.tls.NodeCredentials c) {
        try {
            return io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts.configure(
                    io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder.forClient()
                            .keyManager(c.keyManagers())
                            .trustManager(c.trustManager())).build();
        } catch (javax.net.ssl.SSLException e) {
            throw new IllegalStateException("cannot set up TLS towards the other nodes: " + e.getMessage(), e);
        }
    }

    /**
     * A node that comes back up is reachable again at once: its channel leaves the reconnect
     * backoff it entered while the node was away.
     */
    private void onMap(MapView.Current current) {
        java.util.Set<String> before = upNodes;
        java.util.Set<String> now = new java.util.HashSet<>();
        for (NodeInfo n : current.map().nodes()) {
            if (n.isUp()) {
                now.add(n.id());
                ManagedChannel c = channels.get(channelKey(n));
                if (c != null && !before.contains(n.id())) {
                    c.resetConnectBackoff();
                }
            }
        }
        upNodes = java.util.Set.copyOf(now);
    }

    /**
     * Sends a request of the replication protocol to {@code nodeId} without waiting: exactly one of
     * {@code onReply} (the typed reply) and {@code onFailure} (why there is none: unreachable, the
     * deadline passed, not in the map, a malformed reply) is called, on a gRPC thread.
     */
    public void send(String nodeId, Request request, long timeoutMillis, Consumer<Reply> onReply, Consumer<String> onFailure) {
        java.util.Optional<NodeInfo> node = mapView.current().map().node(nodeId);
        if (node.isEmpty()) {
            onFailure.accept("node " + nodeId + " is not in map epoch " + mapView.epoch());
            return;
        }
        ManagedChannel channel = channel(node.get());
        NodeRpcGrpc.NodeRpcStub stub = NodeRpcGrpc.newStub(channel)
                .withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS);
        AtomicBoolean answered = new AtomicBoolean();
        StreamObserver<com.google.protobuf.Message> observer = new StreamObserver<>() {
            @Override
            public void onNext(com.google.protobuf.Message value) {
                Reply reply;
                try {
                    reply = WireCodec.reply(value);
                } catch (IllegalArgumentException e) {
                    if (answered.compareAndSet(false, true)) {
                        onFailure.accept("malformed reply from " + nodeId + ": " + e.getMessage());
                    }
                    return;
                }
                if (answered.compareAndSet(false, true)) {
                    onReply.accept(reply);
                }
            }

            @Override
            public void onError(Throwable t) {
                if (t instanceof StatusRuntimeException sre && sre.getStatus().getCode() == io.grpc.Status.Code.UNAVAILABLE
                        && channel != selfChannel) {
                    // A peer that was away and restarted within the failure detector's time is never
                    // marked down and up again, so nothing else takes its channel out of gRPC's
                    // reconnect backoff (which grows to minutes): its peers' pings would go on
                    // failing while it runs, they would suspect it, and the meta leader would mark
                    // it down for that. A failed call lets the next one connect at once; pings come
                    // once a heartbeat interval, so a node back is reached within one.
                    channel.resetConnectBackoff();
                }
                if (answered.compareAndSet(false, true)) {
                    onFailure.accept(nodeId + ": " + (t instanceof StatusRuntimeException sre ? sre.getStatus().getCode() + " "
                            + sre.getStatus().getDescription() : t.toString()));
                }
            }

            @Override
            public void onCompleted() {
                if (answered.compareAndSet(false, true)) {
                    onFailure.accept(nodeId + " completed the call without a reply");
                }
            }
        };
        try {
            com.google.protobuf.Message wire = WireCodec.proto(request);
            switch (request) {
                case Request.Apply a -> stub.apply((ApplyRequest) wire, cast(observer));
                case Request.Mirror m -> stub.mirror((MirrorRequest) wire, cast(observer));
                case Request.Get g -> stub.get((GetRequest) wire, cast(observer));
                case Request.Scan sc -> stub.scan((ScanRequest) wire, cast(observer));
                case Request.Since si -> stub.since((SinceRequest) wire, cast(observer));
                case Request.RepairBlock b -> stub.repairBlock((RepairRequest) wire, cast(observer));
                case Request.HandOver h -> stub.handOver((HandOverRequest) wire, cast(observer));
                case Request.Ping p -> stub.ping((PingRequest) wire, cast(observer));
                case Request.PrepareCut c -> stub.prepareCut((io.cairn.node.rpc.PrepareCutRequest) wire, cast(observer));
                case Request.DecideCut d -> stub.decideCut((io.cairn.node.rpc.DecideCutRequest) wire, cast(observer));
                case Request.ReadStripe rs -> throw new IllegalArgumentException("a stripe read is local to its gateway");
            }
        } catch (RuntimeException e) {
            if (answered.compareAndSet(false, true)) {
                onFailure.accept("call to " + nodeId + " not made: " + e);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> StreamObserver<T> cast(StreamObserver<com.google.protobuf.Message> observer) {
        return (StreamObserver<T>) (StreamObserver<?>) observer;
    }

    /** A blocking stub to {@code nodeId} with the node-to-node deadline, or an exception if the map lacks it. */
    public NodeRpcGrpc.NodeRpcBlockingStub stub(String nodeId) {
        NodeInfo node = mapView.current().map().node(nodeId)
                .orElseThrow(() -> new IllegalStateException("node " + nodeId + " is not in map epoch " + mapView.epoch()));
        return NodeRpcGrpc.newBlockingStub(channel(node))
                .withDeadlineAfter(rpcTimeoutMillis, TimeUnit.MILLISECONDS);
    }

    /**
     * Time a gateway waits on a write's primary beyond the node-to-node deadline: the primary waits
     * up to that deadline on each of its mirrors, so the primary's own answer (acknowledged, or
     * refused because a mirror failed) reaches the gateway, rather than the gateway giving up at
     * the same moment and leaving the write's fate unknown.
     */
    public static final long WRITE_DEADLINE_MARGIN_MILLIS = 5_000;

    /** As {@link #stub}, for a write sent to its primary: the deadline is {@link #WRITE_DEADLINE_MARGIN_MILLIS} longer. */
    public NodeRpcGrpc.NodeRpcBlockingStub writeStub(String nodeId) {
        return stub(nodeId).withDeadlineAfter(rpcTimeoutMillis + WRITE_DEADLINE_MARGIN_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** As {@link #stub}, a stub whose calls return futures, completed on the transport's thread. */
    public NodeRpcGrpc.NodeRpcFutureStub futureStub(String nodeId) {
        NodeInfo node = mapView.current().map().node(nodeId)
                .orElseThrow(() -> new IllegalStateException("node " + nodeId + " is not in map epoch " + mapView.epoch()));
        // The answer completes the future on the transport's thread, which only wakes the caller:
        // no hand-off to a pool thread in between (as a blocking stub's caller runs it itself).
        return NodeRpcGrpc.newFutureStub(channel(node))
                .withExecutor(com.google.common.util.concurrent.MoreExecutors.directExecutor())
                .withDeadlineAfter(rpcTimeoutMillis, TimeUnit.MILLISECONDS);
    }

    /** The channel to {@code nodeId} (for services beside the node protocol), or an exception if the map lacks it. */
    public io.grpc.Channel channelTo(String nodeId) {
        return channel(mapView.current().map().node(nodeId)
                .orElseThrow(() -> new IllegalStateException("node " + nodeId + " is not in map epoch " + mapView.epoch())));
    }

    /** This node's id, when its calls to itself take the in-process channel. */
    public java.util.Optional<String> selfId() {
        return selfChannel == null ? java.util.Optional.empty() : java.util.Optional.of(selfId);
    }

    private ManagedChannel channel(NodeInfo node) {
        if (selfChannel != null && node.id().equals(selfId)) {
            return selfChannel;
        }
        return channels.computeIfAbsent(channelKey(node), k -> {
            InetSocketAddress sa = Addresses.parse(node.clusterAddress());
            NettyChannelBuilder b = NettyChannelBuilder.forAddress(sa.getHostString(), sa.getPort())
                    .maxInboundMessageSize(MESSAGE_BYTES_MAX)
                    .intercept(io.cairn.node.rpc.LargeMessages.onClient());
            if (!siteLinks.isEmpty()) {
                mapView.current().map().node(selfId == null ? "" : selfId)
                        .flatMap(self -> siteLinks.between(self.site(), node.site()))
                        .ifPresent(link -> b.intercept(new SiteDelay(link)));
            }
            if (tls == null) {
                b.usePlaintext();
            } else {
                // The TLS handshake checks the server's certificate against this name: it must be the node meant.
                b.sslContext(tls).overrideAuthority(io.cairn.meta.tls.NodeCredentials.authorityOf(node.id()));
            }
            return b.build();
        });
    }

    /** Channels are per node and address: a node id's certificate is checked on its channel. */
    private static String channelKey(NodeInfo node) {
        return node.id() + "@" + node.clusterAddress();
    }

    @Override
    public void close() {
        for (ManagedChannel c : channels.values()) {
            c.shutdownNow();
        }
        channels.clear();
        if (selfChannel != null) {
            selfChannel.shutdownNow();
        }
    }
}
