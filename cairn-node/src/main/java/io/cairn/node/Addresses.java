package io.cairn.node;

import java.net.InetSocketAddress;

/** Parses {@code host:port} addresses of the configuration and the map. */
public final class Addresses {
    private Addresses() {}

    public static InetSocketAddress parse(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostPort.length() - 1) {
            throw new IllegalArgumentException("address must be host:port: '" + hostPort + "'");
        }
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("address port is not a number: '" + hostPort + "'");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("address port out of range: '" + hostPort + "'");
        }
        return InetSocketAddress.createUnresolved(host, port);
    }
}
