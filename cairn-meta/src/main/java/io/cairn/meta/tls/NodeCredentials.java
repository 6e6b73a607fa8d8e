package io.cairn.meta.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * What a node presents and trusts on the cluster's connections (node-to-node gRPC and Raft): its
 * key, its certificate signed by the cluster CA, and the CA certificate, which is the only
 * certificate it trusts. Kept in one directory as {@code ca.crt}, {@code node.crt} and
 * {@code node.key} (mode 0600).
 */
public final class NodeCredentials {

    public static final String CA_CERT_FILE = "ca.crt";
    public static final String CERT_FILE = "node.crt";
    public static final String KEY_FILE = "node.key";

    private static final char[] NO_PASSWORD = new char[0];

    private final X509Certificate caCertificate;
    private final X509Certificate certificate;
    private final PrivateKey key;
    private final String nodeId;
    /** Ids of nodes removed from the cluster, as the newest map this process saw lists them. */
    private volatile java.util.Set<String> revoked = java.util.Set.of();

    NodeCredentials(X509Certificate caCertificate, X509Certificate certificate, PrivateKey key) {
        this.caCertificate = caCertificate;
        this.certificate = certificate;
        this.key = key;
        this.nodeId = nodeIdOf(certificate).orElseThrow(() -> new IllegalArgumentException(
                "the certificate " + certificate.getSubjectX500Principal() + " names no node (no DNS name *" + ClusterCa.NODE_DOMAIN + ")"));
        try {
            certificate.verify(caCertificate.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the certificate of node " + nodeId + " is not signed by the cluster CA "
                    + caCertificate.getSubjectX500Principal(), e);
        }
    }

    /**
     * Credentials from their parts (a node that joined with a token); IllegalArgumentException when
     * the certificate names no node, is not the CA's, or does not go with the key.
     */
    public static NodeCredentials of(X509Certificate caCertificate, X509Certificate certificate, PrivateKey key) {
        NodeCredentials c = new NodeCredentials(caCertificate, certificate, key);
        try {
            java.security.Signature s = java.security.Signature.getInstance("SHA256withECDSA");
            s.initSign(key);
            byte[] probe = "cairn key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            s.update(probe);
            byte[] signature = s.sign();
            s.initVerify(certificate.getPublicKey());
            s.update(probe);
            if (!s.verify(signature)) {
                throw new IllegalArgumentException("the certificate of node " + c.nodeId + " is not for this key");
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the certificate of node " + c.nodeId + " does not go with the key: " + e.getMessage(), e);
        }
        return c;
    }

    /** Reads the credentials in {@code dir}, checking that the certificate is the CA's and valid now. */
    public static NodeCredentials load(Path dir) throws IOException {
        X509Certificate ca = Pem.readCertificates(dir.resolve(CA_CERT_FILE)).getFirst();
        X509Certificate cert = Pem.readCertificates(dir.resolve(CERT_FILE)).getFirst();
        Path keyFile = dir.resolve(KEY_FILE);
        java.util.Set<java.nio.file.attribute.PosixFilePermission> perms = Files.getPosixFilePermissions(keyFile);
        perms.removeAll(java.util.EnumSet.of(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                java.nio.file.attribute.PosixFilePermission.OWNER_WRITE));
        if (!perms.isEmpty()) {
            throw new IOException(keyFile + " is open to others (" + perms + "): chmod 600 " + keyFile);
        }
        PrivateKey key = Pem.readPrivateKey(keyFile);
        NodeCredentials c;
        try {
            c = new NodeCredentials(ca, cert, key);
        } catch (IllegalArgumentException e) {
            throw new IOException(dir + ": " + e.getMessage(), e);
        }
        Date now = new Date();
        if (now.after(cert.getNotAfter())) {
            throw new IOException(dir.resolve(CERT_FILE) + ": the certificate of node " + c.nodeId + " expired on " + cert.getNotAfter());
        }
        return c;
    }

    public static boolean existIn(Path dir) {
        return Files.exists(dir.resolve(CA_CERT_FILE)) && Files.exists(dir.resolve(CERT_FILE)) && Files.exists(dir.resolve(KEY_FILE));
    }

    /** Writes the three files into {@code dir} (the key with mode 0600). */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        Pem.writePrivateKey(dir.resolve(KEY_FILE), key);
        Pem.writeCertificates(dir.resolve(CERT_FILE), List.of(certificate));
        Pem.writeCertificates(dir.resolve(CA_CERT_FILE), List.of(caCertificate));
    }

    /** The node id a certificate names: its DNS name {@code <id>.node.cairn}. */
    public static Optional<String> nodeIdOf(X509Certificate cert) {
        Collection<List<?>> names;
        try {
            names = cert.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            return Optional.empty();
        }
        if (names == null) {
            return Optional.empty();
        }
        for (List<?> n : names) {
            if (n.size() >= 2 && Integer.valueOf(2).equals(n.get(0)) && n.get(1) instanceof String dns && dns.endsWith(ClusterCa.NODE_DOMAIN)) {
                String id = dns.substring(0, dns.length() - ClusterCa.NODE_DOMAIN.length());
                if (!id.isEmpty()) {
                    return Optional.of(id);
                }
            }
        }
        return Optional.empty();
    }

    public String nodeId() {
        return nodeId;
    }

    /** Whether this node's certificate lets it act as a meta voter. */
    public boolean voter() {
        return isVoter(certificate);
    }

    /**
     * Whether a certificate gives its node the voter role: besides its node name it has the DNS
     * name {@code <node id>.voter.cairn}. Only voters may speak Raft's server protocol (votes,
     * log entries) and change the group.
     */
    public static boolean isVoter(X509Certificate cert) {
        Optional<String> id = nodeIdOf(cert);
        if (id.isEmpty()) {
            return false;
        }
        try {
            Collection<List<?>> names = cert.getSubjectAlternativeNames();
            return names != null && names.stream().anyMatch(n -> n.size() >= 2 && Integer.valueOf(2).equals(n.get(0))
                    && (id.get() + ClusterCa.VOTER_DOMAIN).equals(n.get(1)));
        } catch (CertificateParsingException e) {
            return false;
        }
    }

    public X509Certificate certificate() {
        return certificate;
    }

    public X509Certificate caCertificate() {
        return caCertificate;
    }

    public PrivateKey key() {
        return key;
    }

    /** The DNS name a TLS client checks to know it reached node {@code nodeId}. */
    public static String authorityOf(String nodeId) {
        return nodeId + ClusterCa.NODE_DOMAIN;
    }

    /** Presents this node's certificate (with the CA's after it). */
    public KeyManagerFactory keyManagers() {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("node", key, NO_PASSWORD, new X509Certificate[] {certificate, caCertificate});
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, NO_PASSWORD);
            return kmf;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build the key manager of node " + nodeId + ": " + e.getMessage(), e);
        }
    }

    /**
     * Refuses the certificates of these removed nodes from now on. Removal is for good, so the
     * set only grows: a caller with an older map (a voter applying the removal after a newer
     * map was read, say) never takes a revocation back.
     */
    public synchronized void revoke(Collection<String> removedNodeIds) {
        if (revoked.containsAll(removedNodeIds)) {
            return;
        }
        java.util.Set<String> all = new java.util.HashSet<>(revoked);
        all.addAll(removedNodeIds);
        revoked = java.util.Set.copyOf(all);
    }

    /** Whether node {@code id} was removed from the cluster. */
    public boolean isRevoked(String id) {
        return revoked.contains(id);
    }

    /**
     * Trusts certificates of the cluster CA that name a node not removed from the cluster (see
     * {@link #revoke}): what every cluster connection, gRPC and Raft, checks at its handshake.
     */
    public javax.net.ssl.X509TrustManager trustManager() {
        javax.net.ssl.X509TrustManager ca = null;
        for (javax.net.ssl.TrustManager t : trustManagers().getTrustManagers()) {
            if (t instanceof javax.net.ssl.X509TrustManager x) {
                ca = x;
            }
        }
        if (ca == null) {
            throw new IllegalStateException("no X.509 trust manager for the cluster CA");
        }
        javax.net.ssl.X509TrustManager caOnly = ca;
        return new javax.net.ssl.X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
                caOnly.checkClientTrusted(chain, authType);
                refuseRevoked(chain);
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
                caOnly.checkServerTrusted(chain, authType);
                refuseRevoked(chain);
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return caOnly.getAcceptedIssuers();
            }
        };
    }

    private void refuseRevoked(X509Certificate[] chain) throws java.security.cert.CertificateException {
        Optional<String> id = chain.length == 0 ? Optional.empty() : nodeIdOf(chain[0]);
        if (id.isEmpty()) {
            throw new java.security.cert.CertificateException("the certificate names no node of the cluster");
        }
        if (isRevoked(id.get())) {
            throw new java.security.cert.CertificateException("node " + id.get() + " was removed from the cluster: its certificate is revoked");
        }
    }

    /** Trusts the cluster CA and nothing else (no revocation check: see {@link #trustManager()}). */
    public TrustManagerFactory trustManagers() {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setCertificateEntry("cluster-ca", caCertificate);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            return tmf;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build the trust manager of node " + nodeId + ": " + e.getMessage(), e);
        }
    }
}
