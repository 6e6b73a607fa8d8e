package io.cairn.node;

import io.cairn.core.map.NodeInfo;
import io.cairn.node.rpc.NodeRpcGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** gRPC channels to the other nodes, one per cluster address, created on first use. */
public final class PeerChannels implements AutoCloseable {

    /** Largest node-to-node message: one chunk plus its record. */
    public static final int MESSAGE_BYTES_MAX = NodeRuntimeConfig.CHUNK_SIZE_MAX + (1 << 20);

    private final MapView mapView;
    private final long rpcTimeoutMillis;
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

    private volatile java.util.Set<String> upNodes = java.util.Set.of();

    public PeerChannels(MapView mapView, long rpcTimeoutMillis) {
        this.mapView = mapView;
        this.rpcTimeoutMillis = rpcTimeoutMillis;
        mapView.addListener(this::onMap);
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
                ManagedChannel c = channels.get(n.clusterAddress());
                if (c != null && !before.contains(n.id())) {
                    c.resetConnectBackoff();
                }
            }
        }
        upNodes = java.util.Set.copyOf(now);
    }

    /** A blocking stub to {@code nodeId} with the node-to-node deadline, or an exception if the map lacks it. */
    public NodeRpcGrpc.NodeRpcBlockingStub stub(String nodeId) {
        NodeInfo node = mapView.current().map().node(nodeId)
                .orElseThrow(() -> new IllegalStateException("node " + nodeId + " is not in map epoch " + mapView.epoch()));
        return NodeRpcGrpc.newBlockingStub(channel(node.clusterAddress()))
                .withDeadlineAfter(rpcTimeoutMillis, TimeUnit.MILLISECONDS);
    }

    private ManagedChannel channel(String address) {
        return channels.computeIfAbsent(address, a -> {
            InetSocketAddress sa = Addresses.parse(a);
            return NettyChannelBuilder.forAddress(sa.getHostString(), sa.getPort())
                    .usePlaintext()
                    .maxInboundMessageSize(MESSAGE_BYTES_MAX)
                    .build();
        });
    }

    @Override
    public void close() {
        for (ManagedChannel c : channels.values()) {
            c.shutdownNow();
        }
        channels.clear();
    }
}
