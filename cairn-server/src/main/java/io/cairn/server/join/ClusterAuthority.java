package io.cairn.server.join;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.meta.ClusterCaKey;
import io.cairn.meta.MetaCommand;
import io.cairn.meta.MetaResult;
import io.cairn.meta.tls.ClusterCa;
import io.cairn.meta.tls.JoinToken;
import io.cairn.server.gateway.SseS3;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster CA with its key, as far as this node holds it: what signs the certificates of
 * nodes that join and renew. There are two ways to hold it:
 *
 * <ul>
 *   <li>a key file given by the operator ({@code cluster_ca_key_file}), for a CA made outside the cluster;</li>
 *   <li>the cluster's own CA, made by the first meta voter when the cluster is created: its key is
 *       sealed under the cluster's master key and kept in the meta voters' replicated state
 *       ({@link ClusterCaKey}), which only voters hold and no query answers. Each voter opens it
 *       from its own copy of the state; the first voter also keeps the sealed key in its data
 *       directory ({@link #LOCAL_FILE}), which carries it until the state has it.</li>
 * </ul>
 *
 * A node that is not a voter, or a voter before the state has the key, holds no CA: {@link #get} is null.
 */
public final class ClusterAuthority implements Supplier<ClusterCa> {

    private static final Logger log = LoggerFactory.getLogger(ClusterAuthority.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** What the master key seals the CA key for (the associated data of the seal). */
    public static final String PURPOSE = "cairn cluster CA key";
    /** The first voter's sealed copy of the CA key, in its data directory (mode 0600). */
    public static final String LOCAL_FILE = "cluster-ca-key.sealed";

    private final X509Certificate caCertificate;
    private final ClusterCa fixedOrNull;
    private final SseS3 sealerOrNull;
    private final Path localFileOrNull;
    private final Supplier<ClusterCaKey> stateKeyOrNull;
    private ClusterCa opened;
    /** The last sealed text that failed to open, so that its failure is logged once. */
    private String failed;

    private ClusterAuthority(X509Certificate caCertificate, ClusterCa fixedOrNull, SseS3 sealerOrNull, Path localFileOrNull,
                             Supplier<ClusterCaKey> stateKeyOrNull) {
        this.caCertificate = caCertificate;
        this.fixedOrNull = fixedOrNull;
        this.sealerOrNull = sealerOrNull;
        this.localFileOrNull = localFileOrNull;
        this.stateKeyOrNull = stateKeyOrNull;
    }

    /** A CA whose key the operator gave in a file. */
    public static ClusterAuthority fixed(ClusterCa ca) {
        return new ClusterAuthority(ca.certificate(), ca, null, null, null);
    }

    /** No CA on this node (it is not a meta voter, or has no master key to open the sealed one). */
    public static ClusterAuthority none(X509Certificate caCertificate) {
        return new ClusterAuthority(caCertificate, null, null, null, null);
    }

    /**
     * A meta voter's hold on the cluster's own CA: the sealed key from its replicated state
     * ({@code stateKey}) or, until that has it, from {@code dataDir}/{@link #LOCAL_FILE}.
     */
    public static ClusterAuthority voter(X509Certificate caCertificate, SseS3 sealer, Path dataDir, Supplier<ClusterCaKey> stateKey) {
        return new ClusterAuthority(caCertificate, null, sealer, dataDir.resolve(LOCAL_FILE), stateKey);
    }

    /**
     * Makes a new cluster CA at the first start of a new cluster's first voter, and keeps its key
     * sealed in {@code dataDir}/{@link #LOCAL_FILE} before anything else is written.
     */
    public static ClusterCa create(String clusterName, SseS3 sealer, Path dataDir) throws IOException {
        ClusterCa ca = ClusterCa.create(clusterName);
        writeLocal(dataDir.resolve(LOCAL_FILE), seal(ca, sealer));
        log.info("made the cluster CA {} (SHA-256 {}); its key is sealed under master key {}", ca.certificate().getSubjectX500Principal(),
                JoinToken.fingerprint(ca.certificate()), sealer.keyId());
        return ca;
    }

    /** The CA with its key, or null while this node does not hold it. */
    @Override
    public synchronized ClusterCa get() {
        if (fixedOrNull != null) {
            return fixedOrNull;
        }
        if (opened != null || sealerOrNull == null) {
            return opened;
        }
        ClusterCaKey sealed = stateKeyOrNull.get();
        if (sealed == null) {
            sealed = readLocal();
        }
        if (sealed != null) {
            opened = open(sealed);
        }
        return opened;
    }

    /**
     * Once the cluster map is up: makes sure the voters' state keeps the CA key sealed under the
     * current master key (a voter that holds it submits it when the state has none, or has it
     * sealed under an older master key), and brings the local copy up to the same key.
     */
    public void publish(Function<MetaCommand, MetaResult> submit) {
        ClusterCa ca = get();
        if (ca == null || sealerOrNull == null) {
            return;
        }
        ClusterCaKey inState = stateKeyOrNull.get();
        if (inState == null || !sealerOrNull.keyId().equals(SseS3.sealedSecretKeyId(inState.sealed()))) {
            ClusterCaKey fresh = seal(ca, sealerOrNull);
            MetaResult r = submit.apply(new MetaCommand.StoreClusterCaKey(fresh));
            if (!r.ok()) {
                throw new IllegalStateException("the meta voters did not keep the cluster CA key: " + r.error());
            }
            log.info("the meta voters keep the cluster CA key, sealed under master key {}", sealerOrNull.keyId());
        }
        ClusterCaKey local = readLocal();
        if (local != null && !sealerOrNull.keyId().equals(SseS3.sealedSecretKeyId(local.sealed()))) {
            try {
                writeLocal(localFileOrNull, seal(ca, sealerOrNull));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot seal the cluster CA key anew in " + localFileOrNull, e);
            }
        }
    }

    private ClusterCa open(ClusterCaKey sealed) {
        if (!sealed.caFingerprint().equals(JoinToken.fingerprint(caCertificate))) {
            if (!sealed.sealed().equals(failed)) {
                failed = sealed.sealed();
                log.error("the cluster CA key this voter keeps is of another CA (SHA-256 {}) than its certificate's: it admits and renews no node",
                        sealed.caFingerprint());
            }
            return null;
        }
        try {
            return ClusterCa.of(caCertificate, sealerOrNull.openBytes(PURPOSE, sealed.sealed()));
        } catch (IOException e) {
            if (!sealed.sealed().equals(failed)) {
                failed = sealed.sealed();
                log.error("cannot open the cluster CA key: {}; this voter admits and renews no node", e.getMessage());
            }
            return null;
        }
    }

    static ClusterCaKey seal(ClusterCa ca, SseS3 sealer) {
        return new ClusterCaKey(JoinToken.fingerprint(ca.certificate()), sealer.sealBytes(PURPOSE, ca.privateKeyPkcs8()));
    }

    private ClusterCaKey readLocal() {
        if (localFileOrNull == null || !Files.exists(localFileOrNull)) {
            return null;
        }
        try {
            return JSON.readValue(Files.readAllBytes(localFileOrNull), ClusterCaKey.class);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("the sealed cluster CA key " + localFileOrNull + " is unreadable", e);
        }
    }

    private static void writeLocal(Path file, ClusterCaKey key) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        Files.write(tmp, JSON.writeValueAsBytes(key));
        try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
