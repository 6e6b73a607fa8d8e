package io.cairn.testkit.sim;

import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The simulated network between the nodes and the meta service. It delays every message by a
 * random time (so messages reorder), loses some, and drops what a cut says:
 * <ul>
 * <li>a node <em>isolated</em> reaches nobody and nobody reaches it, meta included;</li>
 * <li>a <em>link</em> cut {@code a -> b} loses every message from {@code a} to {@code b}, requests
 *     and replies alike (a one-way fault of the path);</li>
 * <li>a <em>closed port</em> of node {@code x} loses every request its peers send it, while its own
 *     requests and their replies pass (a firewall dropping inbound traffic to its cluster port);</li>
 * <li>a node <em>cut from meta</em> reaches its peers but not the meta service.</li>
 * </ul>
 * A request travels as one message and its reply as another, each under the cuts at the time it
 * is sent and again when it arrives.
 */
final class SimNetwork {

    static final String META = "meta";

    private final SimWorld world;
    /** Probability that a message is lost. */
    double lossRate;
    long delayMinMillis = 1;
    long delayMaxMillis = 20;
    /** Probability that a message is held up for 0.5 to 3 s (a retransmission, a stalled queue): it arrives long after its peers. */
    double straggleRate;
    final Set<String> isolated = new HashSet<>();
    final Set<String> links = new HashSet<>();
    final Set<String> closedPorts = new HashSet<>();
    final Set<String> cutFromMeta = new HashSet<>();
    long messagesSent;
    long messagesLost;
    /** How long a message waits in its sender's queues before it is on the wire, at most. */
    static final long SEND_QUEUE_MILLIS = 30;
    /** By node, when it last died with its send queues: what it sent shortly before is lost with it. */
    private final java.util.Map<String, Long> queuesLostAt = new java.util.HashMap<>();

    SimNetwork(SimWorld world) {
        this.world = world;
    }

    /** Sends a request from {@code from} to {@code to}; {@code deliver} runs on arrival, unless it is lost. */
    <M> void request(String from, String to, M message, Consumer<M> deliver) {
        send(from, to, true, message, deliver);
    }

    /** Sends the reply to a request back from {@code from} to {@code to}. */
    <M> void reply(String from, String to, M message, Consumer<M> deliver) {
        send(from, to, false, message, deliver);
    }

    /**
     * {@code node} dies now, and every message it sent in the last {@link #SEND_QUEUE_MILLIS} and
     * that has not arrived yet is lost with it (still in its process's queues when it was killed).
     */
    void loseSendQueues(String node) {
        queuesLostAt.put(node, world.now());
    }

    private <M> void send(String from, String to, boolean request, M message, Consumer<M> deliver) {
        messagesSent++;
        long sentAt = world.now();
        if (cut(from, to, request) || world.random.nextDouble() < lossRate) {
            messagesLost++;
            return;
        }
        long delay = delayMinMillis + (long) (world.random.nextDouble() * (delayMaxMillis - delayMinMillis));
        if (straggleRate > 0 && world.random.nextDouble() < straggleRate) {
            delay += 500 + world.random.nextInt(2500);
        }
        world.after(delay, () -> {
            Long queuesLost = queuesLostAt.get(from);
            if (cut(from, to, request) || queuesLost != null && queuesLost >= sentAt && queuesLost - sentAt <= SEND_QUEUE_MILLIS) {
                messagesLost++;
                return;
            }
            deliver.accept(message);
        });
    }

    boolean cut(String from, String to, boolean request) {
        if (from.equals(to)) {
            return false;
        }
        if (isolated.contains(from) || isolated.contains(to)) {
            return true;
        }
        if (links.contains(from + ">" + to)) {
            return true;
        }
        if (from.equals(META) || to.equals(META)) {
            return cutFromMeta.contains(from) || cutFromMeta.contains(to);
        }
        return request && closedPorts.contains(to);
    }

    void heal() {
        isolated.clear();
        links.clear();
        closedPorts.clear();
        cutFromMeta.clear();
        lossRate = 0;
        straggleRate = 0;
        delayMaxMillis = 20;
    }

    /** Nodes some cut affects. */
    Set<String> affected() {
        Set<String> out = new HashSet<>(isolated);
        out.addAll(closedPorts);
        out.addAll(cutFromMeta);
        for (String l : links) {
            out.add(l.substring(l.indexOf('>') + 1));
        }
        return out;
    }
}
