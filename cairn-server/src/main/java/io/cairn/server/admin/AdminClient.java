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
    /** The region the cluster's nodes sign and check requests for. */
    private final String region;

    /** @param token {@code ACCESS_KEY:SECRET_KEY} of an admin user */
    public AdminClient(List<String> endpoints, String token) {
        this(endpoints, token, null);
    }

    /**
     * @param token {@code ACCESS_KEY:SECRET_KEY} of an admin user
     * @param tlsOrNull the TLS context for {@code https://} endpoints (which CAs to trust); null for the JVM's default
     */
    public AdminClient(List<String> endpoints, String token, javax.net.ssl.SSLContext tlsOrNull) {
        this(endpoints, token, tlsOrNull, io.cairn.s3.S3GatewayConfig.DEFAULT_REGION);
    }

    /** @param region the region the nodes check signatures for (their {@code region} setting) */
    public AdminClient(List<String> endpoints, String token, javax.net.ssl.SSLContext tlsOrNull, String region) {
        this.region = region;
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

    /** This cluster as a backup site: the round it shows, and how many partitions shipped ({@code GET /_cairn/backup}). */
    public JsonNode backup() throws IOException {
        return JSON.readTree(get("/_cairn/backup"));
    }

    /** Every kept state of record key {@code key} on this backup site ({@code GET /_cairn/backup/states}). */
    public JsonNode backupStates(String key) throws IOException {
        return JSON.readTree(get("/_cairn/backup/states?key=" + enc(key)));
    }

    /** Promotes this backup site: the round it shows is final, and it takes writes ({@code POST /_cairn/backup/promote}). */
    public JsonNode promoteBackup() throws IOException {
        return JSON.readTree(request("POST", "/_cairn/backup/promote"));
    }

    /** The keys under {@code prefix} this backup site shows, with their round ({@code GET /_cairn/backup/visible}). */
    public JsonNode backupVisible(String prefix) throws IOException {
        return JSON.readTree(get("/_cairn/backup/visible?prefix=" + enc(prefix)));
    }

    /** The status document as JSON text, from the first endpoint that answers. */
    public String statusJson() throws IOException {
        return get("/_cairn/status");
    }

    public JsonNode status() throws IOException {
        return JSON.readTree(statusJson());
    }

    /**
     * What each SSE master key wraps: {@code {"current_key", "keys", "objects", "uploads", "secrets"}}
     * (counts by key id); with {@code rewrap}, after wrapping every object's and upload's data key
     * anew by the current key, with {@code "rewrapped"} and {@code "changed_meanwhile"}.
     */
    public JsonNode sseKeys(boolean rewrap) throws IOException {
        return JSON.readTree(rewrap ? request("POST", "/_cairn/sse/rewrap") : get("/_cairn/sse"));
    }

    /**
     * Sweeps the chunks no object names ({@code POST /_cairn/chunks/sweep}): frees those older than
     * {@code graceSecondsOrNull} (null: the node's {@code orphan_chunk_grace_seconds}), or with
     * {@code dryRun} only counts them; answers the sweep's counts. A grace shorter than a PUT may
     * take frees chunks only with {@code force} (no PUT is under way).
     */
    public JsonNode sweepChunks(Long graceSecondsOrNull, boolean dryRun, boolean force) throws IOException {
        String q = "dry_run=" + dryRun + "&force=" + force + (graceSecondsOrNull == null ? "" : "&grace_seconds=" + graceSecondsOrNull);
        return JSON.readTree(request("POST", "/_cairn/chunks/sweep?" + q));
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

    /** A one-time join token for a new node, valid {@code ttlMinutes}: {@code {"token", "expires_millis"}}. */
    public JsonNode createJoinToken(long ttlMinutes) throws IOException {
        return JSON.readTree(request("POST", "/_cairn/nodes/tokens?ttl_minutes=" + ttlMinutes));
    }

    /** Removes drained node {@code nodeId} from the cluster for good, revoking its certificate. */
    public JsonNode removeNode(String nodeId) throws IOException {
        return JSON.readTree(request("POST", "/_cairn/nodes/remove?id=" + enc(nodeId)));
    }

    /** Every bucket with its {@code owner}, {@code policy}, {@code index_pool} and {@code data_pool}: {@code {"buckets":[...]}}. */
    public JsonNode buckets() throws IOException {
        return JSON.readTree(get("/_cairn/buckets"));
    }

    /** Creates a user with its first key: {@code {"user", "access_key", "secret_key", "admin", "read_only"}}. */
    public JsonNode createUser(String name, boolean admin) throws IOException {
        return JSON.readTree(request("POST", "/_cairn/users?name=" + enc(name) + (admin ? "&admin=true" : "")));
    }

    /** Every user with its keys (no secrets) and the buckets it owns: {@code {"users":[...]}}. */
    public JsonNode users() throws IOException {
        return JSON.readTree(get("/_cairn/users"));
    }

    /** Deletes a user and its keys (refused while it owns buckets, or for the last admin). */
    public JsonNode deleteUser(String name) throws IOException {
        return JSON.readTree(request("DELETE", "/_cairn/users?name=" + enc(name)));
    }

    /** One more key of a user: {@code {"user", "access_key", "secret_key", "admin", "read_only"}}. */
    public JsonNode createKey(String user, boolean readOnly) throws IOException {
        return JSON.readTree(request("POST", "/_cairn/keys?user=" + enc(user) + (readOnly ? "&read_only=true" : "")));
    }

    /** The keys (no secrets) of one user, or of all with null: {@code {"keys":[...]}}. */
    public JsonNode keys(String userOrNull) throws IOException {
        return JSON.readTree(get("/_cairn/keys" + (userOrNull == null ? "" : "?user=" + enc(userOrNull))));
    }

    public JsonNode deleteKey(String accessKey) throws IOException {
        return JSON.readTree(request("DELETE", "/_cairn/keys?access_key=" + enc(accessKey)));
    }

    /**
     * Gives a user ({@code user}) or one key ({@code key}; the other null) {@code permission}
     * (read, write or owner) on a bucket; with a null permission, takes back what it had.
     */
    public JsonNode grant(String bucket, String user, String key, String permission) throws IOException {
        String who = user != null ? "&user=" + enc(user) : "&key=" + enc(key);
        return JSON.readTree(permission == null
                ? request("POST", "/_cairn/buckets/revoke?name=" + enc(bucket) + who)
                : request("POST", "/_cairn/buckets/grant?name=" + enc(bucket) + who + "&permission=" + enc(permission)));
    }

    /** The health check of the node at {@code endpoint}: 200, or 503 while the node is cut off from the meta service. */
    public HttpResponse<String> health(String endpoint) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(endpoint + "/_cairn/health"))
                .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Whether the node at {@code endpoint} answers its health check with 200. */
    public boolean healthy(String endpoint) {
        try {
            return health(endpoint).statusCode() == 200;
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

    private static final java.time.format.DateTimeFormatter AMZ_DATE =
            java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(java.time.ZoneOffset.UTC);

    /** Signs an admin request with AWS SigV4 (service s3) by the admin key: the secret itself never travels. */
    private void sign(HttpRequest.Builder b, String method, URI uri) throws IOException {
        sign(b, method, uri, token, region, io.cairn.s3.SigV4Signer.EMPTY_SHA256);
    }

    /**
     * Signs a request to a cluster's admin API with AWS SigV4 (service s3).
     *
     * @param token         {@code ACCESS_KEY:SECRET_KEY} of an admin user of that cluster
     * @param payloadSha256 the hex SHA-256 of the body, signed as {@code x-amz-content-sha256}
     */
    public static void sign(HttpRequest.Builder b, String method, URI uri, String token, String region, String payloadSha256)
            throws IOException {
        int colon = token.indexOf(':');
        if (colon <= 0) {
            throw new IOException("the admin key must be ACCESS_KEY:SECRET_KEY");
        }
        String accessKey = token.substring(0, colon);
        String secret = token.substring(colon + 1);
        String amzDate = AMZ_DATE.format(java.time.Instant.now());
        String date = amzDate.substring(0, 8);
        String host = uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
        java.util.Map<String, String> headers = new java.util.TreeMap<>();
        headers.put("host", host);
        headers.put("x-amz-content-sha256", payloadSha256);
        headers.put("x-amz-date", amzDate);
        List<String> signed = List.copyOf(headers.keySet());
        try {
            String canonical = io.cairn.s3.SigV4Signer.canonicalRequest(method, io.cairn.s3.SigV4Signer.canonicalUri(uri.getRawPath()),
                    io.cairn.s3.SigV4Signer.canonicalQuery(io.cairn.s3.QueryParameters.parse(uri.getRawQuery() == null ? "" : uri.getRawQuery()).all()),
                    signed, headers, payloadSha256);
            String scope = io.cairn.s3.SigV4Signer.scope(date, region);
            String signature = io.cairn.s3.SigV4Signer.signature(io.cairn.s3.SigV4Signer.signingKey(secret, date, region),
                    io.cairn.s3.SigV4Signer.stringToSign(amzDate, scope, canonical));
            b.header("x-amz-date", amzDate);
            b.header("x-amz-content-sha256", payloadSha256);
            b.header("Authorization", io.cairn.s3.SigV4Signer.ALGORITHM + " Credential=" + accessKey + "/" + scope
                    + ", SignedHeaders=" + String.join(";", signed) + ", Signature=" + signature);
        } catch (io.cairn.s3.S3Exception e) {
            throw new IOException("cannot sign " + uri + ": " + e.getMessage(), e);
        }
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
        URI uri = URI.create(endpoint + path);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT).method(method, HttpRequest.BodyPublishers.noBody());
        sign(b, method, uri);
        try {
            return http.send(b.build(), handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /**
     * Sends a request with a JSON body, its SHA-256 signed: the next endpoint is tried only when one
     * cannot be reached, and an answer other than 200 is an {@link AdminRequestException}.
     */
    private String requestWithBody(String method, String path, byte[] body) throws IOException {
        IOException last = null;
        String sha;
        try {
            sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(body));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (String e : endpoints) {
            URI uri = URI.create(e + path);
            HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(90)).header("content-type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
            sign(b, method, uri, token, region, sha);
            HttpResponse<String> r;
            try {
                r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            } catch (java.net.ConnectException ex) {
                last = new IOException(e + ": not reachable", ex);
                continue;
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", ex);
            }
            if (r.statusCode() == 200) {
                return r.body();
            }
            throw AdminRequestException.of(r.statusCode(), r.body());
        }
        throw last;
    }

    /**
     * Sends this backup site a primary site's buckets as its {@code BucketShipper} does
     * ({@code POST /_cairn/backup/buckets}, JSON {@code {"buckets", "pools", "epoch"}}): what was
     * created, dropped, changed and is still to drop.
     */
    public JsonNode sendBackupBuckets(String json) throws IOException {
        return JSON.readTree(requestWithBody("POST", "/_cairn/backup/buckets", json.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Links this cluster to its backup site ({@code POST /_cairn/replicate}): the site's endpoints, the
     * key of one of its admin users, and the PEM certificates to trust for https (null: the JVM's).
     */
    public JsonNode replicateAdd(List<String> backupEndpoints, String backupAdminKey, String caPemOrNull) throws IOException {
        return replicateAdd(backupEndpoints, backupAdminKey, caPemOrNull, List.of());
    }

    /** As {@link #replicateAdd(List, String, String)}, linking only {@code buckets} (the whole cluster when empty). */
    public JsonNode replicateAdd(List<String> backupEndpoints, String backupAdminKey, String caPemOrNull, List<String> buckets)
            throws IOException {
        java.util.Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("endpoints", backupEndpoints);
        body.put("admin_key", backupAdminKey);
        if (caPemOrNull != null) {
            body.put("ca_pem", caPemOrNull);
        }
        if (!buckets.isEmpty()) {
            body.put("buckets", buckets);
        }
        return JSON.readTree(requestWithBody("POST", "/_cairn/replicate", JSON.writeValueAsBytes(body)));
    }

    /** Unlinks this cluster's backup site ({@code DELETE /_cairn/replicate}). */
    public JsonNode replicateRemove() throws IOException {
        return JSON.readTree(request("DELETE", "/_cairn/replicate"));
    }

    /** This cluster's part in asynchronous replication ({@code GET /_cairn/replicate}). */
    public JsonNode replicate() throws IOException {
        return JSON.readTree(get("/_cairn/replicate"));
    }
}
