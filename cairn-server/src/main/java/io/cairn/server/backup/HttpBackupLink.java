package io.cairn.server.backup;

import io.cairn.core.partition.PartitionId;
import io.cairn.node.BackupLink;
import io.cairn.node.rpc.ShipPositionsMessage;
import io.cairn.node.rpc.ShipmentMessage;
import io.cairn.node.rpc.ShippedMessage;
import io.cairn.node.rpc.WireCodec;
import io.cairn.protocol.BackupLedger;
import io.cairn.protocol.ShipPosition;
import io.cairn.protocol.Shipment;
import io.cairn.server.admin.AdminClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A primary site's link to its backup site over the backup cluster's admin API: each call is
 * signed (SigV4, with the body's SHA-256) by an admin key of the backup cluster, and goes to one of
 * its endpoints, the next one after a call that could not reach it.
 */
public final class HttpBackupLink implements BackupLink {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final String PROTOBUF = "application/x-protobuf";
    private final List<URI> endpoints;
    private final String token;
    private final String region;
    private final HttpClient http;
    private final AtomicInteger next = new AtomicInteger();
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    /** Each partition's endpoint: its primary at the backup site ({@link #refreshRoutes}). */
    private volatile Map<PartitionId, URI> routes = Map.of();

    /**
     * @param endpoints the backup cluster's S3 endpoints ({@code http://host:port} or {@code https://})
     * @param token     {@code ACCESS_KEY:SECRET_KEY} of an admin user of the backup cluster
     * @param region    the region the backup cluster's nodes check signatures for
     * @param tlsOrNull whom to trust for {@code https://} endpoints; null for the JVM's default
     */
    public HttpBackupLink(List<String> endpoints, String token, String region, javax.net.ssl.SSLContext tlsOrNull) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("a backup site needs at least one endpoint");
        }
        if (token.indexOf(':') <= 0) {
            throw new IllegalArgumentException("the backup site's admin key must be ACCESS_KEY:SECRET_KEY");
        }
        this.endpoints = endpoints.stream().map(e -> URI.create(e.endsWith("/") ? e.substring(0, e.length() - 1) : e)).toList();
        this.token = token;
        this.region = region;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2));
        if (tlsOrNull != null) {
            b.sslContext(tlsOrNull);
        }
        this.http = b.build();
    }

    @Override
    public CompletableFuture<Map<PartitionId, ShipPosition>> positions(Set<PartitionId> partitions) {
        ShipPositionsMessage.Builder ask = ShipPositionsMessage.newBuilder();
        partitions.forEach(p -> ask.addPartitions(WireCodec.ref(p)));
        return call("POST", "/_cairn/backup/positions", ask.build().toByteArray(), PROTOBUF).thenApply(body -> {
            try {
                Map<PartitionId, ShipPosition> out = new TreeMap<>();
                ShipPositionsMessage.parseFrom(body).getPositionsList()
                        .forEach(m -> out.put(WireCodec.partition(m.getPartition()), WireCodec.position(m)));
                return out;
            } catch (IOException e) {
                throw new IllegalStateException("the backup site answered positions that are not readable: " + e.getMessage(), e);
            }
        });
    }

    /**
     * Learns again where each partition's pages go: its primary at the backup site
     * ({@code GET /_cairn/backup/primaries}), when that is one of the endpoints given (an address
     * the backup's map names but the link was not given is never called). Until it is known, and
     * after a page sent there failed, a partition's pages go to the next endpoint.
     */
    public void refreshRoutes() {
        call("GET", "/_cairn/backup/primaries", new byte[0], "application/json").thenAccept(body -> {
            Map<String, URI> byAddress = new java.util.HashMap<>();
            endpoints.forEach(e -> byAddress.put(address(e), e));
            Map<PartitionId, URI> out = new java.util.HashMap<>();
            try {
                JSON.readTree(body).path("primaries").properties().forEach(e -> {
                    int slash = e.getKey().lastIndexOf('/');
                    URI to = byAddress.get(e.getValue().asText());
                    if (slash > 0 && to != null) {
                        out.put(new PartitionId(e.getKey().substring(0, slash), Integer.parseInt(e.getKey().substring(slash + 1))), to);
                    }
                });
            } catch (IOException | RuntimeException ex) {
                out.clear(); // not an answer this link understands: every page goes to the next endpoint
            }
            routes = Map.copyOf(out);
        }).exceptionally(failure -> {
            routes = Map.of();
            return null;
        });
    }

    /** {@code host:port} of an endpoint, as a node's S3 address is written. */
    private static String address(URI endpoint) {
        int port = endpoint.getPort() >= 0 ? endpoint.getPort() : "https".equals(endpoint.getScheme()) ? 443 : 80;
        return endpoint.getHost() + ":" + port;
    }

    /** How many of the partitions' pages go straight to their primary at the backup site now. */
    public int routed() {
        return routes.size();
    }

    @Override
    public CompletableFuture<BackupLedger.Decision> ship(Shipment page) {
        URI primary = routes.get(page.partition());
        byte[] wire = WireCodec.shipment(page).toByteArray();
        CompletableFuture<byte[]> sent = primary == null ? call("POST", "/_cairn/backup/ship", wire, PROTOBUF)
                : call(primary, "POST", "/_cairn/backup/ship", wire, PROTOBUF).whenComplete((r, failure) -> {
                    if (failure != null) {
                        routes = Map.of(); // the backup's map moved on, or that node is gone: learned again at the next refresh
                    }
                });
        return sent.thenApply(body -> {
            try {
                ShippedMessage m = ShippedMessage.parseFrom(body);
                return new BackupLedger.Decision(m.getOk(), m.getPositionChanged(), m.getWhy(), m.getMissingList());
            } catch (IOException e) {
                throw new IllegalStateException("the backup site answered a page with something not readable: " + e.getMessage(), e);
            }
        });
    }

    /** The backup site's mark: the round it shows and its stage ({@code GET /_cairn/backup/mark}), as JSON. */
    public CompletableFuture<byte[]> mark() {
        return call("GET", "/_cairn/backup/mark", new byte[0], "application/json");
    }

    /** Sends the primary site's buckets and pools ({@link BucketShipper}); the backup's answer. */
    public CompletableFuture<byte[]> sendBuckets(byte[] json) {
        return call("POST", "/_cairn/backup/buckets", json, "application/json");
    }

    /** One signed call to the next endpoint, its body's SHA-256 signed too; the answer's body, or a failure for any status but 200. */
    private CompletableFuture<byte[]> call(String method, String path, byte[] body, String contentType) {
        return call(endpoints.get(Math.floorMod(next.get(), endpoints.size())), method, path, body, contentType);
    }

    /** As {@link #call(String, String, byte[], String)}, to the endpoint {@code endpoint}. */
    private CompletableFuture<byte[]> call(URI endpoint, String method, String path, byte[] body, String contentType) {
        URI uri = endpoint.resolve(path);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(TIMEOUT).header("content-type", contentType)
                .method(method, body.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        try {
            AdminClient.sign(b, method, uri, token, region, sha256(body));
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
        return send(uri, b);
    }

    private CompletableFuture<byte[]> send(URI uri, HttpRequest.Builder b) {
        return http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofByteArray()).handle((r, failure) -> {
            if (failure != null) {
                next.incrementAndGet(); // the next call tries the next endpoint
                throw new java.util.concurrent.CompletionException(new IOException(uri + ": " + failure.getMessage(), failure));
            }
            if (r.statusCode() != 200) {
                if (r.statusCode() >= 500) {
                    next.incrementAndGet();
                }
                throw new java.util.concurrent.CompletionException(new IOException(uri + ": HTTP " + r.statusCode() + " "
                        + new String(r.body(), java.nio.charset.StandardCharsets.UTF_8)));
            }
            return r.body();
        });
    }

    private static String sha256(byte[] body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
