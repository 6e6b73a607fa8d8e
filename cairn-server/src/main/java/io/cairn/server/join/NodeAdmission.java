package io.cairn.server.join;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.meta.MetaCommand;
import io.cairn.meta.MetaResult;
import io.cairn.meta.tls.BootstrapToken;
import io.cairn.meta.tls.ClusterCa;
import io.cairn.meta.tls.JoinToken;
import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's side of a node joining with a token: makes tokens (for admins), and admits a
 * node that brings one, once: the token is used up through the cluster map, then the cluster CA
 * signs a certificate for the node's id and the public key it sent. Only a node that holds the
 * CA key (a meta voter) admits nodes; every node makes tokens.
 *
 * <p>While a cluster is being created, a node holding the CA key also admits the first nodes
 * that bring the cluster's {@link BootstrapToken}, voters among them, for
 * {@link BootstrapToken#WINDOW} after the CA's making, and proves in its answer that it holds
 * the token too. The cluster map may not exist yet then, so nothing is used up.
 */
public final class NodeAdmission {

    private static final Logger log = LoggerFactory.getLogger(NodeAdmission.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Largest join request read. */
    public static final int REQUEST_BYTES_MAX = 16 * 1024;
    public static final int HOSTS_MAX = 16;
    public static final long TTL_MINUTES_DEFAULT = 60;
    public static final long TTL_MINUTES_MAX = 7 * 24 * 60;

    /** An answer: HTTP status, and either the response or an error code and message. */
    public record Outcome(int status, JoinMessages.Response response, String code, String error) {
        static Outcome refused(int status, String code, String error) {
            return new Outcome(status, null, code, error);
        }
    }

    private final X509Certificate caCertificate;
    private final Supplier<ClusterCa> ca;
    private final BootstrapToken bootstrapOrNull;
    private final Function<MetaCommand, MetaResult> submit;
    private final Clock clock;

    /**
     * @param caCertificate   the cluster CA's certificate (whose fingerprint tokens carry)
     * @param ca              the CA with its key, or null while (or where) this node does not hold it
     * @param bootstrapOrNull the cluster's bootstrap token, if this node was given one
     * @param submit          submits a command to the cluster map (may throw when it is unavailable)
     */
    public NodeAdmission(X509Certificate caCertificate, Supplier<ClusterCa> ca, BootstrapToken bootstrapOrNull,
                         Function<MetaCommand, MetaResult> submit, Clock clock) {
        this.caCertificate = caCertificate;
        this.ca = ca;
        this.bootstrapOrNull = bootstrapOrNull;
        this.submit = submit;
        this.clock = clock;
    }

    /** A new one-time token valid for {@code ttlMinutes}, kept by the cluster as the hash of its secret. */
    public JoinToken createToken(long ttlMinutes) {
        if (ttlMinutes < 1 || ttlMinutes > TTL_MINUTES_MAX) {
            throw new IllegalArgumentException("a join token lives 1 to " + TTL_MINUTES_MAX + " minutes, not " + ttlMinutes);
        }
        JoinToken token = JoinToken.create(caCertificate);
        long now = clock.millis();
        MetaResult r = submit.apply(new MetaCommand.AddJoinToken(token.secretHash(), now + ttlMinutes * 60_000, now));
        if (!r.ok()) {
            throw new IllegalStateException("the cluster did not take the join token: " + r.error());
        }
        return token;
    }

    /** Admits the node that sent {@code body}, or says why not. */
    public Outcome admit(InputStream body, String from) {
        JoinMessages.Request req;
        try {
            byte[] bytes = body.readNBytes(REQUEST_BYTES_MAX + 1);
            if (bytes.length > REQUEST_BYTES_MAX) {
                return Outcome.refused(400, "RequestTooLarge", "a join request is at most " + REQUEST_BYTES_MAX + " bytes");
            }
            req = JSON.readValue(bytes, JoinMessages.Request.class);
        } catch (IOException e) {
            return Outcome.refused(400, "MalformedRequest", "the join request is not the expected JSON: " + e.getMessage());
        }
        if (req == null || req.token() == null || req.nodeId() == null || req.publicKey() == null) {
            return Outcome.refused(400, "MalformedRequest", "a join request has token, node_id and public_key");
        }
        if (!ClusterCa.isNodeId(req.nodeId())) {
            return Outcome.refused(400, "InvalidNodeId", "not a node id: " + req.nodeId());
        }
        List<String> hosts = req.hosts() == null ? List.of() : req.hosts();
        if (hosts.size() > HOSTS_MAX || hosts.stream().anyMatch(h -> h == null || !h.matches("[A-Za-z0-9.:-]{1,253}"))) {
            return Outcome.refused(400, "InvalidHosts", "at most " + HOSTS_MAX + " hosts, each a host name or an IP address");
        }
        PublicKey key;
        try {
            key = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(req.publicKey())));
            if (!(key instanceof ECPublicKey ec) || ec.getParams().getCurve().getField().getFieldSize() != 256) {
                return Outcome.refused(400, "InvalidPublicKey", "the public key must be EC on P-256");
            }
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return Outcome.refused(400, "InvalidPublicKey", "the public key is not an X.509 EC public key in base64");
        }
        if (BootstrapToken.looksLikeOne(req.token())) {
            return admitFirst(req, hosts, key, from);
        }
        JoinToken token;
        try {
            token = JoinToken.parse(req.token());
        } catch (IllegalArgumentException e) {
            log.warn("refused a join of node {} from {}: {}", req.nodeId(), from, e.getMessage());
            return Outcome.refused(403, "InvalidToken", "the join token is not valid");
        }
        if (!token.caFingerprint().equals(JoinToken.fingerprint(caCertificate))) {
            log.warn("refused a join of node {} from {}: the token is of another cluster", req.nodeId(), from);
            return Outcome.refused(403, "InvalidToken", "the join token is not of this cluster");
        }
        ClusterCa authority = ca.get();
        if (authority == null) {
            return notAnAuthority();
        }
        MetaResult used;
        try {
            used = submit.apply(new MetaCommand.UseJoinToken(token.secretHash(), req.nodeId(), clock.millis()));
        } catch (RuntimeException e) {
            return Outcome.refused(503, "ServiceUnavailable", "the cluster map service is unavailable: " + e.getMessage());
        }
        if (!used.ok()) {
            log.warn("refused a join of node {} from {}: {}", req.nodeId(), from, used.error());
            return used.error().equals(MetaResult.NODE_REMOVED)
                    ? Outcome.refused(403, "NodeRemoved", "node " + req.nodeId() + " was removed from the cluster; join under a new id")
                    : Outcome.refused(403, "InvalidToken", "the join token is unknown, used already, or expired");
        }
        X509Certificate cert = authority.issueFor(req.nodeId(), hosts, key, false); // a joining node is never a voter
        log.info("admitted node {} from {} with a join token; its certificate is valid until {}", req.nodeId(), from, cert.getNotAfter());
        return admitted(cert, null);
    }

    /** A first node of a new cluster, with the bootstrap token: a voter if it says it is one. */
    private Outcome admitFirst(JoinMessages.Request req, List<String> hosts, PublicKey key, String from) {
        BootstrapToken token;
        try {
            token = BootstrapToken.parse(req.token());
        } catch (IllegalArgumentException e) {
            log.warn("refused a join of node {} from {}: {}", req.nodeId(), from, e.getMessage());
            return Outcome.refused(403, "InvalidToken", "the bootstrap token is not valid");
        }
        ClusterCa authority = ca.get();
        if (authority == null) {
            return notAnAuthority();
        }
        if (bootstrapOrNull == null || !bootstrapOrNull.sameAs(token)) {
            log.warn("refused a join of node {} from {}: a bootstrap token that is not this cluster's", req.nodeId(), from);
            return Outcome.refused(403, "InvalidToken", "the bootstrap token is not this cluster's");
        }
        java.time.Instant until = BootstrapToken.admitsUntil(authority.createdAt());
        if (!clock.instant().isBefore(until)) {
            log.warn("refused a join of node {} from {}: the bootstrap token admits nodes only until {}, an hour after the cluster CA was made",
                    req.nodeId(), from, until);
            return Outcome.refused(403, "InvalidToken", "the bootstrap token admitted nodes only until " + until
                    + "; join with a one-time token (cairn admin node token)");
        }
        boolean voter = Boolean.TRUE.equals(req.voter());
        X509Certificate cert = authority.issueFor(req.nodeId(), hosts, key, voter);
        log.info("admitted node {} from {} with the bootstrap token{}; its certificate is valid until {}", req.nodeId(), from,
                voter ? " as a meta voter" : "", cert.getNotAfter());
        return admitted(cert, token);
    }

    private static Outcome notAnAuthority() {
        return Outcome.refused(503, "NotAnAuthority", "this node does not admit nodes: send the join request to a meta voter");
    }

    private Outcome admitted(X509Certificate cert, BootstrapToken proveOrNull) {
        try {
            byte[] caDer = caCertificate.getEncoded();
            byte[] der = cert.getEncoded();
            return new Outcome(200, new JoinMessages.Response(Base64.getEncoder().encodeToString(caDer),
                    Base64.getEncoder().encodeToString(der), proveOrNull == null ? null : proveOrNull.proof(caDer, der)), null, null);
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }
}
