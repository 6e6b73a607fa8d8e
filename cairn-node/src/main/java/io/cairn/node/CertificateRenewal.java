package io.cairn.node;

import io.cairn.core.map.NodeInfo;
import io.cairn.meta.tls.ClusterCa;
import io.cairn.meta.tls.NodeCredentials;
import io.cairn.node.rpc.NodeCertificatesGrpc;
import io.cairn.node.rpc.RenewReply;
import io.cairn.node.rpc.RenewRequest;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renews this node's certificate before it expires. Two thirds into the certificate's lifetime
 * (about four months before a one-year certificate ends), the node makes a new key and gets a
 * certificate for it: from the cluster CA itself when this node holds the CA's key, otherwise
 * from a meta voter that does ({@code NodeCertificates.Renew}, over mutual TLS with the current
 * certificate, so it can only renew itself). The new key and certificate are written where the
 * node's credentials are kept and presented at every new handshake from then on; open
 * connections keep the old one. A failed attempt is logged and tried again a minute later.
 */
public final class CertificateRenewal implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CertificateRenewal.class);

    /** How often the node looks at its certificate's age, and tries again after a failure. */
    public static final long CHECK_INTERVAL_MILLIS = 60_000;
    /** The first look, soon after the node starts: a node that was stopped for long may be due at once. */
    static final long FIRST_CHECK_MILLIS = 1_000;
    private static final long CALL_TIMEOUT_MILLIS = 10_000;

    private final String nodeId;
    private final NodeCredentials tls;
    private final java.util.function.Supplier<ClusterCa> caOrNull;
    private final MapView mapView;
    private final PeerChannels peers;
    private final Clock clock;
    private final ScheduledExecutorService timer;

    CertificateRenewal(String nodeId, NodeCredentials tls, java.util.function.Supplier<ClusterCa> caOrNull, MapView mapView, PeerChannels peers, Clock clock) {
        this.nodeId = nodeId;
        this.tls = tls;
        this.caOrNull = caOrNull;
        this.mapView = mapView;
        this.peers = peers;
        this.clock = clock;
        this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("cairn-certificate-renewal").factory());
    }

    void start() {
        timer.scheduleWithFixedDelay(() -> {
            try {
                check();
            } catch (RuntimeException | Error e) {
                // A scheduled task that throws is never run again: say so loudly, and keep looking.
                log.error("node {}: the certificate renewal check failed unexpectedly; it runs again in {} s", nodeId,
                        CHECK_INTERVAL_MILLIS / 1000, e);
            }
        }, FIRST_CHECK_MILLIS, CHECK_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** When a certificate is renewed: two thirds of the way from its start to its end. */
    public static Instant dueAt(X509Certificate c) {
        long from = c.getNotBefore().getTime();
        long to = c.getNotAfter().getTime();
        return Instant.ofEpochMilli(from + (to - from) / 3 * 2);
    }

    private void check() {
        X509Certificate c = tls.certificate();
        if (clock.instant().isBefore(dueAt(c))) {
            return;
        }
        try {
            renew();
        } catch (IOException | StatusRuntimeException | IllegalStateException | IllegalArgumentException e) {
            log.warn("node {}: renewing its certificate (valid until {}) failed, trying again in {} s: {}", nodeId, c.getNotAfter(),
                    CHECK_INTERVAL_MILLIS / 1000, e.getMessage());
        }
    }

    /** Renews now: a new key, a certificate for it, written and presented from now on. */
    void renew() throws IOException {
        KeyPair pair = ClusterCa.newKeyPair();
        ClusterCa ca = caOrNull == null ? null : caOrNull.get();
        X509Certificate next = ca != null ? ca.renew(tls.certificate(), pair.getPublic()) : fromVoters(pair.getPublic());
        tls.renew(next, pair.getPrivate());
        log.info("node {} renewed its certificate: serial {}, valid until {}", nodeId, next.getSerialNumber().toString(16), next.getNotAfter());
    }

    /** Asks the meta voters that are up, in random order, until one renews it. */
    private X509Certificate fromVoters(PublicKey key) {
        List<String> voters = new ArrayList<>();
        for (NodeInfo n : mapView.current().map().nodes()) {
            if (n.metaAddress() != null && n.isUp() && !n.id().equals(nodeId)) {
                voters.add(n.id());
            }
        }
        Collections.shuffle(voters);
        List<String> failures = new ArrayList<>();
        RenewRequest request = RenewRequest.newBuilder().setPublicKey(com.google.protobuf.ByteString.copyFrom(key.getEncoded())).build();
        for (String voter : voters) {
            try {
                RenewReply reply = NodeCertificatesGrpc.newBlockingStub(peers.channelTo(voter))
                        .withDeadlineAfter(CALL_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS).renew(request);
                return (X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificate(new ByteArrayInputStream(reply.getCertificate().toByteArray()));
            } catch (StatusRuntimeException e) {
                failures.add(voter + ": " + e.getStatus().getCode() + " " + e.getStatus().getDescription());
            } catch (CertificateException | ClassCastException e) {
                failures.add(voter + ": an unreadable certificate (" + e.getMessage() + ")");
            }
        }
        throw new IllegalStateException(voters.isEmpty() ? "no meta voter is up in map epoch " + mapView.epoch()
                : "no meta voter renewed it: " + failures);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
