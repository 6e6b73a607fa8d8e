package io.cairn.meta.tls;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The certificate authority of one cluster: a self-signed CA certificate and its key, which sign
 * the certificate of every node. A node's certificate names the node: its subject is
 * {@code CN=<node id>} and its first subject alternative name the DNS name
 * {@code <node id>.node.cairn} (see {@link NodeCredentials#nodeIdOf}), followed by the hosts of
 * its addresses, against which Raft clients check the voters they dial.
 *
 * <p>Keys are ECDSA on P-256; certificates are signed with SHA-256.
 */
public final class ClusterCa {

    /** The domain under which a node certificate's DNS name carries the node id. */
    public static final String NODE_DOMAIN = ".node.cairn";
    /** The domain under which a meta voter's certificate carries its node id a second time: the voter role. */
    public static final String VOTER_DOMAIN = ".voter.cairn";
    public static final Duration CA_VALIDITY = Duration.ofDays(3650);
    public static final Duration NODE_VALIDITY = Duration.ofDays(365);
    /** How far a new CA certificate's validity starts before its making, for clocks behind. */
    static final Duration BACKDATE = Duration.ofHours(1);
    static final String CA_CERT_FILE = "ca.crt";
    public static final String CA_KEY_FILE = "ca.key";

    private static final SecureRandom RANDOM = new SecureRandom();

    private final X509Certificate certificate;
    private final PrivateKey key;

    private ClusterCa(X509Certificate certificate, PrivateKey key) {
        this.certificate = certificate;
        this.key = key;
    }

    /** A new authority for cluster {@code clusterName}. */
    public static ClusterCa create(String clusterName) {
        return create(new X500Name("CN=Cairn cluster CA " + escape(clusterName) + ",O=Cairn"));
    }

    /**
     * A new authority for the public port of cluster {@code clusterName} (its server certificates,
     * see {@link #issueServer}), separate from the cluster CA.
     */
    public static ClusterCa createPublic(String clusterName) {
        return create(new X500Name("CN=Cairn public CA " + escape(clusterName) + ",O=Cairn"));
    }

    private static ClusterCa create(X500Name subject) {
        KeyPair pair = newKeyPair();
        Instant now = Instant.now();
        try {
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(), Date.from(now.minus(BACKDATE)),
                    Date.from(now.plus(CA_VALIDITY)), subject, pair.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            return new ClusterCa(sign(b, pair.getPrivate()), pair.getPrivate());
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot create a CA certificate: " + e.getMessage(), e);
        }
    }

    /** The authority kept in {@code dir} ({@code ca.crt}, {@code ca.key}). */
    public static ClusterCa load(Path dir) throws IOException {
        X509Certificate cert = Pem.readCertificates(dir.resolve(CA_CERT_FILE)).getFirst();
        PrivateKey key = Pem.readPrivateKey(dir.resolve(CA_KEY_FILE));
        return new ClusterCa(cert, key);
    }

    /**
     * The authority whose certificate is {@code certificate} and whose key is in {@code keyFile}
     * (mode 0600): what a meta voter that admits joining nodes holds.
     */
    public static ClusterCa load(X509Certificate certificate, Path keyFile) throws IOException {
        Pem.requireOwnerOnly(keyFile);
        PrivateKey key = Pem.readPrivateKey(keyFile);
        if (!Pem.keyMatches(key, certificate.getPublicKey())) {
            throw new IOException(keyFile + " is not the key of the CA certificate " + certificate.getSubjectX500Principal());
        }
        return new ClusterCa(certificate, key);
    }

    /**
     * The authority whose certificate is {@code certificate} and whose private key is
     * {@code pkcs8} (as {@link #privateKeyPkcs8} gives it); IOException when the key is not the certificate's.
     */
    public static ClusterCa of(X509Certificate certificate, byte[] pkcs8) throws IOException {
        PrivateKey key;
        try {
            key = java.security.KeyFactory.getInstance("EC").generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException e) {
            throw new IOException("not an EC private key (PKCS#8): " + e.getMessage(), e);
        }
        if (!Pem.keyMatches(key, certificate.getPublicKey())) {
            throw new IOException("the key is not the key of the CA certificate " + certificate.getSubjectX500Principal());
        }
        return new ClusterCa(certificate, key);
    }

    /** The CA's private key, PKCS#8 DER: to be sealed before it is kept anywhere. */
    public byte[] privateKeyPkcs8() {
        return key.getEncoded();
    }

    /** When the CA was made: its certificate's start, less the hour it is backdated by for clock skew. */
    public Instant createdAt() {
        return certificate.getNotBefore().toInstant().plus(BACKDATE);
    }

    public static boolean existsIn(Path dir) {
        return Files.exists(dir.resolve(CA_CERT_FILE)) && Files.exists(dir.resolve(CA_KEY_FILE));
    }

    /** Writes {@code ca.crt} and {@code ca.key} (mode 0600) into {@code dir}. */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        Pem.writePrivateKey(dir.resolve(CA_KEY_FILE), key);
        Pem.writeCertificates(dir.resolve(CA_CERT_FILE), List.of(certificate));
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /**
     * A new key and certificate for node {@code nodeId}, valid for {@link #NODE_VALIDITY}, good for
     * both ends of a TLS connection.
     *
     * @param hosts the hosts (IP literals or DNS names) of the node's addresses
     */
    public NodeCredentials issue(String nodeId, List<String> hosts) {
        return issue(nodeId, hosts, false);
    }

    /** As {@link #issue(String, List)}; with {@code voter}, the certificate also lets the node act as a meta voter. */
    public NodeCredentials issue(String nodeId, List<String> hosts, boolean voter) {
        KeyPair pair = newKeyPair();
        return new NodeCredentials(certificate, issueFor(nodeId, hosts, pair.getPublic(), voter), pair.getPrivate());
    }

    /** As {@link #issue(String, List, boolean)}, valid from {@code notBefore} to {@code notAfter}. */
    public NodeCredentials issue(String nodeId, List<String> hosts, boolean voter, Instant notBefore, Instant notAfter) {
        KeyPair pair = newKeyPair();
        return new NodeCredentials(certificate, issueFor(nodeId, hosts, pair.getPublic(), voter, notBefore, notAfter), pair.getPrivate());
    }

    /** Whether {@code nodeId} can be named by a node certificate. */
    public static boolean isNodeId(String nodeId) {
        return nodeId != null && nodeId.matches("[a-z0-9][a-z0-9-]{0,62}");
    }

    /**
     * A certificate for node {@code nodeId} and a key the node made itself (a node joining with a
     * token sends only its public key), valid for {@link #NODE_VALIDITY}.
     */
    public X509Certificate issueFor(String nodeId, List<String> hosts, java.security.PublicKey publicKey, boolean voter) {
        Instant now = Instant.now();
        return issueFor(nodeId, hosts, publicKey, voter, now.minus(Duration.ofHours(1)), now.plus(NODE_VALIDITY));
    }

    /** As {@link #issueFor(String, List, java.security.PublicKey, boolean)}, valid from {@code notBefore} to {@code notAfter}. */
    public X509Certificate issueFor(String nodeId, List<String> hosts, java.security.PublicKey publicKey, boolean voter,
            Instant notBefore, Instant notAfter) {
        if (!isNodeId(nodeId)) {
            throw new IllegalArgumentException("not a node id for a certificate: '" + nodeId + "'");
        }
        KeyPair pair = new KeyPair(publicKey, null);
        try {
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(certificate, serial(),
                    Date.from(notBefore), Date.from(notAfter),
                    new X500Name("CN=" + nodeId + ",O=Cairn"), pair.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            b.addExtension(Extension.extendedKeyUsage, false,
                    new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
            List<GeneralName> names = new ArrayList<>();
            names.add(new GeneralName(GeneralName.dNSName, nodeId + NODE_DOMAIN));
            if (voter) {
                names.add(new GeneralName(GeneralName.dNSName, nodeId + VOTER_DOMAIN));
            }
            names.addAll(hostNames(hosts));
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.stream().distinct().toArray(GeneralName[]::new)));
            return sign(b, key);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot issue a certificate for node " + nodeId + ": " + e.getMessage(), e);
        }
    }

    /**
     * A renewal: a certificate for the node that {@code current} names, with its role and hosts,
     * for {@code publicKey} (a new key the node made), valid for {@link #NODE_VALIDITY} from now.
     * The node proved it holds {@code current} by presenting it on a mutual TLS connection.
     *
     * @throws IllegalArgumentException if {@code current} is not this CA's certificate of a node,
     *                                  or has expired
     */
    public X509Certificate renew(X509Certificate current, java.security.PublicKey publicKey) {
        try {
            current.verify(certificate.getPublicKey());
            current.checkValidity();
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not a valid certificate of this cluster's CA: " + e.getMessage(), e);
        }
        String nodeId = NodeCredentials.nodeIdOf(current).orElseThrow(() -> new IllegalArgumentException(
                "the certificate " + current.getSubjectX500Principal() + " names no node"));
        List<String> hosts = new ArrayList<>();
        try {
            for (List<?> n : current.getSubjectAlternativeNames()) {
                boolean dns = Integer.valueOf(GeneralName.dNSName).equals(n.get(0));
                boolean ip = Integer.valueOf(GeneralName.iPAddress).equals(n.get(0));
                String name = String.valueOf(n.get(1));
                if (ip || (dns && !name.endsWith(NODE_DOMAIN) && !name.endsWith(VOTER_DOMAIN))) {
                    hosts.add(name);
                }
            }
        } catch (java.security.cert.CertificateParsingException e) {
            throw new IllegalArgumentException("unreadable names in the certificate of node " + nodeId, e);
        }
        return issueFor(nodeId, hosts, publicKey, NodeCredentials.isVoter(current));
    }

    /**
     * A server certificate (and its key) for the public port of nodes reached at {@code hosts}
     * (IP literals or DNS names), written as PEM to {@code certFile} (with this CA's certificate
     * after it) and {@code keyFile} (mode 0600). This is for a CA of the public side, never the
     * cluster CA: a certificate of the cluster CA admits its holder to the cluster's ports.
     */
    public void issueServer(List<String> hosts, Path certFile, Path keyFile) throws IOException {
        KeyPair pair = newKeyPair();
        Instant now = Instant.now();
        try {
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(certificate, serial(),
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(NODE_VALIDITY)),
                    new X500Name("CN=" + escape(hosts.getFirst()) + ",O=Cairn"), pair.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(hostNames(hosts).toArray(GeneralName[]::new)));
            X509Certificate cert = sign(b, key);
            Files.createDirectories(certFile.toAbsolutePath().getParent());
            Pem.writePrivateKey(keyFile, pair.getPrivate());
            Pem.writeCertificates(certFile, List.of(cert, certificate));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot issue a server certificate for " + hosts + ": " + e.getMessage(), e);
        }
    }

    private static List<GeneralName> hostNames(List<String> hosts) throws IOException {
        List<GeneralName> names = new ArrayList<>();
        for (String host : hosts) {
            boolean literal = host.matches("[0-9.]+") || host.contains(":");
            names.add(literal ? new GeneralName(GeneralName.iPAddress, InetAddress.getByName(host).getHostAddress())
                    : new GeneralName(GeneralName.dNSName, host));
        }
        return names.stream().distinct().toList();
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey signer) throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    /** A new key pair of the kind node certificates are for (ECDSA on P-256). */
    public static KeyPair newKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no EC key pair generator: " + e.getMessage(), e);
        }
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }

    private static String escape(String rdnValue) {
        return rdnValue.replaceAll("([,+\"\\\\<>;=])", "\\\\$1");
    }
}
