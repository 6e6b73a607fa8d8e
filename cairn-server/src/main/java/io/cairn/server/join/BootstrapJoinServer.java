package io.cairn.server.join;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a new cluster's first voter serves on its public address before the cluster map exists
 * (the other voters need certificates before a Raft majority can form, and the S3 gateway starts
 * only after): {@code POST /_cairn/join} with the bootstrap token, as the gateway's admin API
 * answers it later; anything else gets {@code 503}. Closed before the gateway takes the port.
 */
public final class BootstrapJoinServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BootstrapJoinServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;

    private BootstrapJoinServer(HttpServer server) {
        this.server = server;
    }

    /** Serves {@code admission} on {@code address} (HTTPS when {@code tlsOrNull} is given). */
    public static BootstrapJoinServer start(InetSocketAddress address, javax.net.ssl.SSLContext tlsOrNull, NodeAdmission admission)
            throws IOException {
        if (address.isUnresolved()) {
            address = new InetSocketAddress(address.getHostString(), address.getPort());
        }
        HttpServer server;
        if (tlsOrNull != null) {
            HttpsServer https = HttpsServer.create(address, 64);
            https.setHttpsConfigurator(new HttpsConfigurator(tlsOrNull));
            server = https;
        } else {
            server = HttpServer.create(address, 64);
        }
        server.createContext("/", exchange -> handle(exchange, admission));
        server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(2, Thread.ofPlatform().daemon().name("bootstrap-join").factory()));
        server.start();
        log.info("admitting the new cluster's first nodes (bootstrap token) on {} until the cluster map is up", address);
        return new BootstrapJoinServer(server);
    }

    private static void handle(HttpExchange exchange, NodeAdmission admission) throws IOException {
        try (exchange; InputStream body = exchange.getRequestBody()) {
            int status;
            Object answer;
            if (!exchange.getRequestURI().getPath().equals(io.cairn.server.admin.AdminApi.JOIN)) {
                status = 503;
                answer = Map.of("error", "the node is starting: the cluster map is not up yet", "code", "ServiceUnavailable");
            } else if (!exchange.getRequestMethod().equals("POST")) {
                status = 405;
                answer = Map.of("error", "use POST");
            } else {
                NodeAdmission.Outcome o = admission.admit(body, String.valueOf(exchange.getRemoteAddress()));
                status = o.status();
                answer = o.response() != null ? o.response() : Map.of("error", o.error(), "code", o.code());
            }
            byte[] bytes = JSON.writeValueAsBytes(answer);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
