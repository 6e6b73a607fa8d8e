package io.cairn.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/** A client of the admin API: tries each endpoint in turn until one answers. */
public final class AdminClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final List<String> endpoints;
    private final String token;
    private final HttpClient http;

    /** @param token {@code ACCESS_KEY:SECRET_KEY} of an admin user */
    public AdminClient(List<String> endpoints, String token) {
        this(endpoints, token, null);
    }

    /**
     * @param token {@code ACCESS_KEY:SECRET_KEY} of an admin user
     * @param tlsOrNull the TLS context for {@code https://} endpoints (which CAs to trust); null for the JVM's default
     */
    public AdminClient(List<String> endpoints, String token, javax.net.ssl.SSLContext tlsOrNull) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("no endpoint");
        }
        this.endpoints = List.copyOf(endpoints);
        this.token = token;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2));
        if (tlsOrNull != null) {
            b.sslContext(tlsOrNull);
        }
        this.http = b.build();
    }

    /** The status document as JSON text, from the first endpoint that answers. */
    public String statusJson() throws IOException {
        return get("/_cairn/status");
    }

    public JsonNode status() throws IOException {
        return JSON.readTree(statusJson());
    }

    /**
     * Creates a bucket through {@code POST /_cairn/buckets}; answers the bucket's {@code name},
     * {@code policy}, {@code index_pool} and {@code data_pool}.
     *
     * @param policyOrNull {@code repN} or {@code ecK+M}; null for the default pool's
     * @param ownerOrNull  access key of the owner; null for the calling admin user
     * @throws AdminRequestException when the cluster refuses (its message says why)
     */
    public JsonNode createBucket(String name, String policyOrNull, String ownerOrNull) throws IOException {
        StringBuilder path = new StringBuilder("/_cairn/buckets?name=").append(enc(name));
        if (policyOrNull != null) {
            path.append("&policy=").append(enc(policyOrNull));
        }
        if (ownerOrNull != null) {
            path.append("&owner=").append(enc(ownerOrNull));
        }
        return JSON.readTree(request("POST", path.toString()));
    }

    /** Drains node {@code nodeId} (marks it out) or, with {@code in}, marks it in again. */
    public JsonNode markNode(String nodeId, boolean in) throws IOException {
        return JSON.readTree(request("POST", (in ? "/_cairn/nodes/in?id=" : "/_cairn/nodes/drain?id=") + enc(nodeId)));
    }

    /** Every bucket with its {@code owner}, {@code policy}, {@code index_pool} and {@code data_pool}: {@code {"buckets":[...]}}. */
    public JsonNode buckets() throws IOException {
        return JSON.readTree(get("/_cairn/buckets"));
    }

    /** Whether the node at {@code endpoint} answers its health check. */
    public boolean healthy(String endpoint) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(endpoint + "/_cairn/health"))
                    .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** One node's own copy of an object's chunk (debug read; no other node is asked). */
    public byte[] localChunk(String endpoint, String bucket, String key, int index) throws IOException {
        HttpResponse<byte[]> r = send(endpoint, "/_cairn/debug/chunk?bucket=" + enc(bucket) + "&key=" + enc(key) + "&index=" + index,
                HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IOException(endpoint + " debug chunk: HTTP " + r.statusCode() + " " + new String(r.body(), StandardCharsets.UTF_8));
        }
        return r.body();
    }

    /** The metrics of the node at {@code endpoint}, in the Prometheus text format. */
    public String metrics(String endpoint) throws IOException {
        HttpResponse<String> r = send(endpoint, "/_cairn/metrics", HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException(endpoint + " metrics: HTTP " + r.statusCode() + " " + r.body());
        }
        return r.body();
    }

    /** One node's own copy of a small object's inline data (debug read). */
    public byte[] localInline(String endpoint, String bucket, String key) throws IOException {
        HttpResponse<byte[]> r = send(endpoint, "/_cairn/debug/inline?bucket=" + enc(bucket) + "&key=" + enc(key),
                HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IOException(endpoint + " debug inline: HTTP " + r.statusCode() + " " + new String(r.body(), StandardCharsets.UTF_8));
        }
        return r.body();
    }

    /** What one node itself holds of an object. */
    public JsonNode localObject(String endpoint, String bucket, String key) throws IOException {
        HttpResponse<String> r = send(endpoint, "/_cairn/debug/object?bucket=" + enc(bucket) + "&key=" + enc(key),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException(endpoint + " debug object: HTTP " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body());
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /**
     * Sends a request that changes the cluster: the next endpoint is tried only when one cannot
     * be reached, and an answer other than 200 is an {@link AdminRequestException}.
     */
    private String request(String method, String path) throws IOException {
        IOException last = null;
        for (String e : endpoints) {
            HttpResponse<String> r;
            try {
                r = send(e, method, path, HttpResponse.BodyHandlers.ofString());
            } catch (java.net.ConnectException ex) {
                last = new IOException(e + ": not reachable", ex);
                continue;
            }
            if (r.statusCode() == 200) {
                return r.body();
            }
            throw AdminRequestException.of(r.statusCode(), r.body());
        }
        throw last;
    }

    private String get(String path) throws IOException {
        IOException last = null;
        for (String e : endpoints) {
            try {
                HttpResponse<String> r = send(e, path, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return r.body();
                }
                last = new IOException(e + path + ": HTTP " + r.statusCode() + " " + r.body());
                if (r.statusCode() == 403) {
                    throw last;
                }
            } catch (IOException ex) {
                if (ex == last && last.getMessage().contains("HTTP 403")) {
                    throw ex;
                }
                last = ex instanceof java.net.ConnectException ? new IOException(e + ": not reachable", ex) : ex;
            }
        }
        throw last;
    }

    private <T> HttpResponse<T> send(String endpoint, String path, HttpResponse.BodyHandler<T> handler) throws IOException {
        return send(endpoint, "GET", path, handler);
    }

    private <T> HttpResponse<T> send(String endpoint, String method, String path, HttpResponse.BodyHandler<T> handler) throws IOException {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(endpoint + path))
                    .timeout(REQUEST_TIMEOUT)
                    .header("Authorization", "Bearer " + token)
                    .method(method, HttpRequest.BodyPublishers.noBody()).build(), handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
