package io.cairn.server.gateway;

import io.cairn.core.map.ClusterMap;
import io.cairn.node.MapView;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A task the cluster runs on one node at a time: every interval, on the first up data node of the
 * map this node knows ({@link ClusterMap#firstUpDataNode}), and only while the cluster takes writes
 * (not on a backup site before it is promoted). Two nodes that both take themselves for the first
 * (their maps differ for a moment) may run it at once, so the task must be safe to run twice.
 */
final class ClusterChore implements AutoCloseable {

    private final MapView mapView;
    private final String nodeId;
    private final long intervalMillis;
    private final Supplier<String> readOnlyReason;
    private final Consumer<ClusterMap> task;
    private final Thread thread;
    private volatile boolean closed;

    /** @param task run with the map that chose this node; it should return soon once {@link #isClosed} says so */
    ClusterChore(String name, MapView mapView, String nodeId, long intervalMillis, Supplier<String> readOnlyReason, Consumer<ClusterMap> task) {
        this.mapView = mapView;
        this.nodeId = nodeId;
        this.intervalMillis = intervalMillis;
        this.readOnlyReason = readOnlyReason;
        this.task = task;
        this.thread = Thread.ofVirtual().name(name).unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    /** Whether the chore was closed (the node is stopping). */
    boolean isClosed() {
        return closed;
    }

    private void run() {
        while (!closed) {
            try {
                Thread.sleep(intervalMillis);
            } catch (InterruptedException e) {
                return;
            }
            if (closed) {
                return;
            }
            ClusterMap map = mapView.current().map();
            if (map.firstUpDataNode().map(nodeId::equals).orElse(false) && readOnlyReason.get() == null) {
                task.accept(map);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
