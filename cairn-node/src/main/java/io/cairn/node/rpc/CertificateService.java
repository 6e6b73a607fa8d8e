package io.cairn.node.rpc;

import com.google.protobuf.ByteString;
import io.cairn.meta.tls.ClusterCa;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renews the certificates of the cluster's nodes, on a node that holds the cluster CA's key. A
 * caller gets a certificate for the node its own certificate names (checked by the TLS handshake
 * and {@link PeerIdentity}), with the same role and addresses: a node can renew only itself.
 */
public final class CertificateService extends NodeCertificatesGrpc.NodeCertificatesImplBase {

    private static final Logger log = LoggerFactory.getLogger(CertificateService.class);

    private final java.util.function.Supplier<ClusterCa> ca;

    /** @param ca the CA with its key, or null while this node does not hold it (then it answers {@code UNIMPLEMENTED}) */
    public CertificateService(java.util.function.Supplier<ClusterCa> ca) {
        this.ca = ca;
    }

    @Override
    public void renew(RenewRequest request, StreamObserver<RenewReply> out) {
        X509Certificate caller = PeerIdentity.CERTIFICATE.get();
        if (caller == null) {
            out.onError(Status.UNAUTHENTICATED.withDescription("a node certificate of this cluster is required").asRuntimeException());
            return;
        }
        PublicKey key;
        try {
            key = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(request.getPublicKey().toByteArray()));
        } catch (GeneralSecurityException | RuntimeException e) {
            out.onError(Status.INVALID_ARGUMENT.withDescription("public_key is not an EC public key (X.509 SubjectPublicKeyInfo, DER)")
                    .asRuntimeException());
            return;
        }
        ClusterCa authority = ca.get();
        if (authority == null) {
            out.onError(Status.UNIMPLEMENTED.withDescription("this node does not hold the cluster CA's key (yet): ask another meta voter")
                    .asRuntimeException());
            return;
        }
        X509Certificate renewed;
        try {
            renewed = authority.renew(caller, key);
        } catch (IllegalArgumentException e) {
            out.onError(Status.PERMISSION_DENIED.withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        log.info("renewed the certificate of node {}: serial {}, valid until {}", PeerIdentity.NODE.get(),
                renewed.getSerialNumber().toString(16), renewed.getNotAfter());
        try {
            out.onNext(RenewReply.newBuilder().setCertificate(ByteString.copyFrom(renewed.getEncoded())).build());
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("cannot encode a certificate just issued", e);
        }
        out.onCompleted();
    }
}
