package io.cairn.testkit;

import io.cairn.server.dev.DevCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Sites on networks of their own, on one machine: each place (the sites, then the tie-breaker's)
 * gets a network namespace joined by a veth pair to one bridge, with an address of its own in a
 * private /24 ({@code 10.213.N.11}, {@code .12}, ...); the test process reaches every place
 * through the bridge's address ({@code .1}). Node processes started in a namespace
 * ({@link DevCluster.SiteNetwork}) serve on its address. {@link #cut} drops every packet between
 * one place and the others, inside that place's namespace ({@code iptables}), so the cut is
 * symmetric and leaves its nodes running and reachable from the test process, as the clients of
 * a data centre cut off from the other still reach it. Needs root and iproute2 and iptables;
 * {@link #close} removes what it made (a JVM shutdown hook does too, should the test end abruptly).
 */
public final class SiteNetworks implements AutoCloseable {

    private final String id;
    private final int subnet;
    private final int places;
    private final Thread cleanup;
    private boolean closed;

    private SiteNetworks(String id, int subnet, int places) {
        this.id = id;
        this.subnet = subnet;
        this.places = places;
        this.cleanup = new Thread(this::remove, "site-networks-cleanup-" + id);
    }

    /** Makes {@code places} namespaces on one bridge. */
    public static SiteNetworks create(int places) throws IOException {
        if (places < 2 || places > 8) {
            throw new IllegalArgumentException("2..8 places: " + places);
        }
        String used = run(List.of("ip", "-4", "-o", "addr", "show"));
        int subnet = -1;
        for (int attempt = 0; attempt < 50 && subnet < 0; attempt++) {
            int n = 1 + ThreadLocalRandom.current().nextInt(250);
            if (!used.contains(" 10.213." + n + ".")) {
                subnet = n;
            }
        }
        if (subnet < 0) {
            throw new IOException("no free 10.213.N.0/24 subnet for the site networks");
        }
        String id = Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20), 36);
        SiteNetworks n = new SiteNetworks(id, subnet, places);
        Runtime.getRuntime().addShutdownHook(n.cleanup);
        try {
            n.build();
        } catch (IOException | RuntimeException e) {
            n.close();
            throw e;
        }
        return n;
    }

    private void build() throws IOException {
        run(List.of("ip", "link", "add", bridge(), "type", "bridge"));
        run(List.of("ip", "addr", "add", clientHost() + "/24", "dev", bridge()));
        run(List.of("ip", "link", "set", bridge(), "up"));
        for (int p = 0; p < places; p++) {
            String ns = netns(p);
            run(List.of("ip", "netns", "add", ns));
            run(List.of("ip", "link", "add", rootEnd(p), "type", "veth", "peer", "name", nsEnd(p)));
            run(List.of("ip", "link", "set", nsEnd(p), "netns", ns));
            run(List.of("ip", "link", "set", rootEnd(p), "master", bridge()));
            run(List.of("ip", "link", "set", rootEnd(p), "up"));
            run(List.of("ip", "netns", "exec", ns, "ip", "addr", "add", host(p) + "/24", "dev", nsEnd(p)));
            run(List.of("ip", "netns", "exec", ns, "ip", "link", "set", nsEnd(p), "up"));
            run(List.of("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"));
        }
    }

    /** The dev cluster's site networks: one per place, in order. */
    public List<DevCluster.SiteNetwork> networks() {
        List<DevCluster.SiteNetwork> out = new ArrayList<>();
        for (int p = 0; p < places; p++) {
            out.add(new DevCluster.SiteNetwork(host(p), netns(p)));
        }
        return out;
    }

    /** The address of place {@code p} (0-based: site1 is 0). */
    public String host(int p) {
        return "10.213." + subnet + "." + (11 + p);
    }

    /** The test process's address on the bridge. */
    public String clientHost() {
        return "10.213." + subnet + ".1";
    }

    /** Drops every packet between place {@code p} and the other places, both ways; the test process still reaches it. */
    public void cut(int p) throws IOException {
        for (int q = 0; q < places; q++) {
            if (q != p) {
                run(List.of("ip", "netns", "exec", netns(p), "iptables", "-I", "INPUT", "-s", host(q), "-j", "DROP"));
                run(List.of("ip", "netns", "exec", netns(p), "iptables", "-I", "OUTPUT", "-d", host(q), "-j", "DROP"));
            }
        }
    }

    /** Drops every packet between places {@code p} and {@code q}, both ways; each still reaches the others. */
    public void cutBetween(int p, int q) throws IOException {
        for (int[] pair : new int[][] {{p, q}, {q, p}}) {
            run(List.of("ip", "netns", "exec", netns(pair[0]), "iptables", "-I", "INPUT", "-s", host(pair[1]), "-j", "DROP"));
            run(List.of("ip", "netns", "exec", netns(pair[0]), "iptables", "-I", "OUTPUT", "-d", host(pair[1]), "-j", "DROP"));
        }
    }

    /** Ends every cut of place {@code p}. */
    public void heal(int p) throws IOException {
        run(List.of("ip", "netns", "exec", netns(p), "iptables", "-F", "INPUT"));
        run(List.of("ip", "netns", "exec", netns(p), "iptables", "-F", "OUTPUT"));
    }

    /** Removes the namespaces, the veth pairs and the bridge. Call it once the node processes in them have ended. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        remove();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs anyway
        }
    }

    private synchronized void remove() {
        if (closed) {
            return;
        }
        closed = true;
        for (int p = 0; p < places; p++) {
            quietly(List.of("ip", "netns", "del", netns(p)));
            quietly(List.of("ip", "link", "del", rootEnd(p)));
        }
        quietly(List.of("ip", "link", "del", bridge()));
    }

    private String netns(int p) { return "cairn-" + id + "-" + p; }
    private String bridge() { return "cbr" + id; }
    private String rootEnd(int p) { return "cv" + id + "r" + p; }
    private String nsEnd(int p) { return "cv" + id + "n" + p; }

    private static void quietly(List<String> cmd) {
        try {
            run(cmd);
        } catch (IOException e) {
            // gone already, or never made
        }
    }

    /** Runs {@code cmd}; its output, or an exception with it when it fails. */
    private static String run(List<String> cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + ": no answer within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", cmd));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " exited with " + p.exitValue() + ": " + out.strip());
        }
        return out;
    }
}
