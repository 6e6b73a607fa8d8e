package io.cairn.server.join;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.meta.tls.BootstrapToken;
import io.cairn.meta.tls.JoinToken;
import io.cairn.meta.tls.NodeCredentials;
import io.cairn.meta.tls.NodeToken;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The joining node's side: makes its own key (which never leaves it), sends the public half with
 * the token to the join endpoints until one admits it, checks that the CA it is given is the one
 * the token names and that the certificate names this node and this key, and keeps all three in
 * its {@code cluster_tls_dir}.
 */
public final class NodeJoin {

    private static final Logger log = LoggerFactory.getLogger(NodeJoin.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Why a join failed for good (a refused or malformed token): trying again will not help. */
    public static final class RefusedException extends IOException {
        public RefusedException(String message) {
            super(message);
        }
    }

    private NodeJoin() {}

    /**
     * Joins through the first of {@code endpoints} ({@code http(s)://host:port}) that admits the
     * node, trying them in turn until {@code timeout}; writes the credentials into {@code tlsDir}.
     *
     * @param tlsOrNull trust for {@code https} endpoints (null: the JDK's default trust)
     */
    public static NodeCredentials join(List<String> endpoints, String tokenText, String nodeId, List<String> hosts, Path tlsDir,
                                       javax.net.ssl.SSLContext tlsOrNull, Duration timeout) throws IOException {
        return join(endpoints, tokenText, false, nodeId, hosts, tlsDir, tlsOrNull, timeout);
    }

    /**
     * As above; {@code tokenText} may also be the new cluster's bootstrap token
     * ({@link BootstrapToken}), with which a first node asks to be a meta voter if {@code voter}.
     */
    public static NodeCredentials join(List<String> endpoints, String tokenText, boolean voter, String nodeId, List<String> hosts,
                                       Path tlsDir, javax.net.ssl.SSLContext tlsOrNull, Duration timeout) throws IOException {
        NodeToken token;
        try {
            token = NodeToken.parse(tokenText);
        } catch (IllegalArgumentException e) {
            throw new RefusedException("join_token: " + e.getMessage());
        }
        KeyPair pair = newKeyPair();
        byte[] request = JSON.writeValueAsBytes(new JoinMessages.Request(tokenText.strip(), nodeId,
                Base64.getEncoder().encodeToString(pair.getPublic().getEncoded()), hosts,
                token.mayAskForVoter() && voter ? Boolean.TRUE : null));
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        if (tlsOrNull != null) {
            b.sslContext(tlsOrNull);
        }
        HttpClient http = b.build();
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> failures = new ArrayList<>();
        while (true) {
            for (String endpoint : endpoints) {
                HttpResponse<byte[]> r;
                try {
                    r = http.send(HttpRequest.newBuilder(URI.create(endpoint.replaceAll("/+$", "") + "/_cairn/join"))
                            .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofByteArray(request)).build(), HttpResponse.BodyHandlers.ofByteArray());
                } catch (IOException e) {
                    failures.add(endpoint + ": " + e);
                    continue;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while joining", e);
                }
                if (r.statusCode() == 200) {
                    NodeCredentials c = accept(JSON.readValue(r.body(), JoinMessages.Response.class), token, nodeId, pair);
                    c.save(tlsDir);
                    log.info("node {} joined through {}: certificate valid until {}", nodeId, endpoint, c.certificate().getNotAfter());
                    return c;
                }
                String body = new String(r.body(), java.nio.charset.StandardCharsets.UTF_8);
                if (r.statusCode() == 400 || r.statusCode() == 403) {
                    throw new RefusedException("the cluster refused to admit node " + nodeId + " (" + endpoint + ", " + r.statusCode() + "): " + body);
                }
                failures.add(endpoint + ": " + r.statusCode() + " " + body);
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("no join endpoint admitted node " + nodeId + ": " + failures);
            }
            log.info("node {} could not join yet ({}); trying again", nodeId, failures.getLast());
            failures.clear();
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while joining", e);
            }
        }
    }

    /** The credentials in an admission, once checked against the token, the node and its key. */
    static NodeCredentials accept(JoinMessages.Response response, NodeToken token, String nodeId, KeyPair pair) throws IOException {
        X509Certificate ca = certificate(response.ca());
        X509Certificate cert = certificate(response.certificate());
        String notOurs = token.notOurCluster(ca, cert, response.proof());
        if (notOurs != null) {
            throw new RefusedException(notOurs);
        }
        NodeCredentials c;
        try {
            c = NodeCredentials.of(ca, cert, pair.getPrivate());
        } catch (IllegalArgumentException e) {
            throw new RefusedException("the certificate the cluster sent is not usable: " + e.getMessage());
        }
        if (!c.nodeId().equals(nodeId)) {
            throw new RefusedException("the certificate the cluster sent names node " + c.nodeId() + ", not " + nodeId);
        }
        return c;
    }

    private static X509Certificate certificate(String base64) throws IOException {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(Base64.getDecoder().decode(base64)));
        } catch (GeneralSecurityException | IllegalArgumentException | NullPointerException e) {
            throw new RefusedException("the join endpoint answered with no readable certificate");
        }
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
