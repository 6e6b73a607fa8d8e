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
 *
 * <p>The key and certificate can be renewed while the node runs ({@link #renew}): the key
 * managers handed out present whichever is current at each new handshake, and connections
 * already open keep the one they were made with.
 */
public final class NodeCredentials {

    public static final String CA_CERT_FILE = "ca.crt";
    public static final String CERT_FILE = "node.crt";
    public static final String KEY_FILE = "node.key";

    /** A key and its certificate; the alias names it to TLS key managers. */
    private record Material(X509Certificate certificate, PrivateKey key, String alias) {
        Material(X509Certificate certificate, PrivateKey key) {
            this(certificate, key, "node-" + certificate.getSerialNumber().toString(16));
        }
    }

    private final X509Certificate caCertificate;
    private final String nodeId;
    /** The key and certificate presented at new handshakes. */
    private volatile Material current;
    /** The one before it: a handshake that chose its alias just before a renewal still finds it. */
    private volatile Material previous;
    /** Where the credentials are kept, if they were loaded or saved there: a renewal is written there. */
    private volatile Path dir;
    /** Ids of nodes removed from the cluster, as the newest map this process saw lists them. */
    private volatile java.util.Set<String> revoked = java.util.Set.of();

    NodeCredentials(X509Certificate caCertificate, X509Certificate certificate, PrivateKey key) {
        this.caCertificate = caCertificate;
        this.current = new Material(certificate, key);
        this.previous = current;
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
        if (!Pem.keyMatches(key, certificate.getPublicKey())) {
            throw new IllegalArgumentException("the certificate of node " + c.nodeId + " is not for this key");
        }
        return c;
    }

    /**
     * Replaces this node's key and certificate with a renewed pair: new handshakes present it at
     * once, and it is written where the credentials are kept (see {@link #save}). The certificate
     * must be the CA's, valid now, for the same node and role, and for this key.
     *
     * @throws IllegalArgumentException if it is not; nothing changes then
     * @throws IOException if it cannot be written; nothing changes then either
     */
    public synchronized void renew(X509Certificate certificate, PrivateKey key) throws IOException {
        NodeCredentials next = of(caCertificate, certificate, key);
        if (!next.nodeId.equals(nodeId)) {
            throw new IllegalArgumentException("a renewed certificate names node " + next.nodeId + ", not " + nodeId);
        }
        if (next.voter() != voter()) {
            throw new IllegalArgumentException("a renewed certificate of node " + nodeId + (voter() ? " drops" : " adds") + " the voter role");
        }
        try {
            certificate.checkValidity();
        } catch (java.security.cert.CertificateException e) {
            throw new IllegalArgumentException("a renewed certificate of node " + nodeId + " is not valid now: " + e.getMessage(), e);
        }
        Path at = dir;
        if (at != null) {
            next.save(at);
        }
        previous = current;
        current = next.current;
    }

    /** Reads the credentials in {@code dir}, checking that the certificate is the CA's and valid now. */
    public static NodeCredentials load(Path dir) throws IOException {
        finishSave(dir);
        X509Certificate ca = Pem.readCertificates(dir.resolve(CA_CERT_FILE)).getFirst();
        X509Certificate cert = Pem.readCertificates(dir.resolve(CERT_FILE)).getFirst();
        Path keyFile = dir.resolve(KEY_FILE);
        Pem.requireOwnerOnly(keyFile);
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
        if (!Pem.keyMatches(key, cert.getPublicKey())) {
            throw new IOException(dir + ": " + CERT_FILE + " is not the certificate of " + KEY_FILE);
        }
        c.dir = dir;
        return c;
    }

    public static boolean existIn(Path dir) {
        return Files.exists(dir.resolve(CA_CERT_FILE)) && Files.exists(dir.resolve(CERT_FILE)) && Files.exists(dir.resolve(KEY_FILE));
    }

    /**
     * Writes the three files into {@code dir} (the key with mode 0600), and keeps them there from
     * now on (a renewal is written there too). The key and certificate are written beside the old
     * ones first and then moved over them, key first; {@link #load} finishes a save a crash cut
     * short, so the directory never holds a certificate without its key.
     */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        Material m = current;
        Pem.writeCertificates(dir.resolve(CA_CERT_FILE + NEW_SUFFIX), List.of(caCertificate));
        Pem.writePrivateKey(dir.resolve(KEY_FILE + NEW_SUFFIX), m.key());
        Pem.writeCertificates(dir.resolve(CERT_FILE + NEW_SUFFIX), List.of(m.certificate()));
        finishSave(dir);
        this.dir = dir;
    }

    private static final String NEW_SUFFIX = ".new";

    /** Moves the files a save wrote beside the old ones over them, key first, certificate last. */
    private static void finishSave(Path dir) throws IOException {
        for (String name : List.of(CA_CERT_FILE, KEY_FILE, CERT_FILE)) {
            Path next = dir.resolve(name + NEW_SUFFIX);
            if (Files.exists(next)) {
                Files.move(next, dir.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
        }
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

    /** The certificate the other end of a TLS session presented, if it presented one. */
    public static Optional<X509Certificate> peerCertificate(javax.net.ssl.SSLSession session) {
        if (session == null) {
            return Optional.empty();
        }
        try {
            java.security.cert.Certificate[] chain = session.getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x ? Optional.of(x) : Optional.empty();
        } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
    }

    public String nodeId() {
        return nodeId;
    }

    /** Whether this node's certificate lets it act as a meta voter. */
    public boolean voter() {
        return isVoter(current.certificate());
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

    /** The certificate presented at new handshakes. */
    public X509Certificate certificate() {
        return current.certificate();
    }

    public X509Certificate caCertificate() {
        return caCertificate;
    }

    public PrivateKey key() {
        return current.key();
    }

    /** The DNS name a TLS client checks to know it reached node {@code nodeId}. */
    public static String authorityOf(String nodeId) {
        return nodeId + ClusterCa.NODE_DOMAIN;
    }

    /**
     * Presents this node's current certificate (with the CA's after it) at every new handshake:
     * after a {@link #renew} the same key managers present the renewed one.
     */
    public KeyManagerFactory keyManagers() {
        javax.net.ssl.KeyManager manager = new RenewableKeyManager();
        return new KeyManagerFactory(new javax.net.ssl.KeyManagerFactorySpi() {
            @Override
            protected void engineInit(KeyStore ks, char[] password) {
            }

            @Override
            protected void engineInit(javax.net.ssl.ManagerFactoryParameters spec) {
            }

            @Override
            protected javax.net.ssl.KeyManager[] engineGetKeyManagers() {
                return new javax.net.ssl.KeyManager[] {manager};
            }
        }, KEY_MANAGER_PROVIDER, "cairn-node") {
        };
    }

    private static final java.security.Provider KEY_MANAGER_PROVIDER =
            new java.security.Provider("CairnNodeKeys", "1", "the key of a Cairn node, renewed while it runs") {
            };

    /** Offers one alias, the current material's; finds the current and the previous one by alias. */
    private final class RenewableKeyManager extends javax.net.ssl.X509ExtendedKeyManager {

        private String aliasFor(String keyType) {
            Material m = current;
            return keyType == null || keyType.startsWith(m.key().getAlgorithm()) ? m.alias() : null;
        }

        private String aliasFor(String[] keyTypes) {
            if (keyTypes == null) {
                return current.alias();
            }
            for (String t : keyTypes) {
                String alias = aliasFor(t);
                if (alias != null) {
                    return alias;
                }
            }
            return null;
        }

        private Material find(String alias) {
            Material c = current;
            if (c.alias().equals(alias)) {
                return c;
            }
            Material p = previous;
            return p.alias().equals(alias) ? p : null;
        }

        @Override
        public String[] getClientAliases(String keyType, java.security.Principal[] issuers) {
            String a = aliasFor(keyType);
            return a == null ? null : new String[] {a};
        }

        @Override
        public String chooseClientAlias(String[] keyType, java.security.Principal[] issuers, java.net.Socket socket) {
            return aliasFor(keyType);
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, java.security.Principal[] issuers, javax.net.ssl.SSLEngine engine) {
            return aliasFor(keyType);
        }

        @Override
        public String[] getServerAliases(String keyType, java.security.Principal[] issuers) {
            return getClientAliases(keyType, issuers);
        }

        @Override
        public String chooseServerAlias(String keyType, java.security.Principal[] issuers, java.net.Socket socket) {
            return aliasFor(keyType);
        }

        @Override
        public String chooseEngineServerAlias(String keyType, java.security.Principal[] issuers, javax.net.ssl.SSLEngine engine) {
            return aliasFor(keyType);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            Material m = find(alias);
            return m == null ? null : new X509Certificate[] {m.certificate(), caCertificate};
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            Material m = find(alias);
            return m == null ? null : m.key();
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
