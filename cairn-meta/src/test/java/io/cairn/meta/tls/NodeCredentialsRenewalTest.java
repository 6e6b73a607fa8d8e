package io.cairn.meta.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.net.ssl.X509ExtendedKeyManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Renewing a node's certificate while it runs: the key managers already handed out present the
 * new one, only a certificate of the same CA, node and role for the new key is taken, and the
 * files on disk always hold a certificate with its key, even after a save a crash cut short.
 */
class NodeCredentialsRenewalTest {

    @TempDir
    Path dir;

    private final ClusterCa ca = ClusterCa.create("renewal");

    @Test
    void keyManagersHandedOutBeforeARenewalPresentTheNewCertificate() throws Exception {
        NodeCredentials c = ca.issue("n1", List.of("127.0.0.1"));
        X509ExtendedKeyManager km = (X509ExtendedKeyManager) c.keyManagers().getKeyManagers()[0];
        String before = km.chooseEngineServerAlias("EC", null, null);
        assertThat(km.getCertificateChain(before)[0]).isEqualTo(c.certificate());

        KeyPair next = ClusterCa.newKeyPair();
        X509Certificate renewed = ca.renew(c.certificate(), next.getPublic());
        c.renew(renewed, next.getPrivate());

        String after = km.chooseEngineClientAlias(new String[] {"RSA", "EC"}, null, null);
        assertThat(after).isNotEqualTo(before);
        assertThat(km.getCertificateChain(after)).containsExactly(renewed, ca.certificate());
        assertThat(km.getPrivateKey(after)).isEqualTo(next.getPrivate());
        // A handshake that chose its alias just before the renewal still finds its key.
        assertThat(km.getPrivateKey(before)).isNotNull();
        assertThat(km.chooseEngineServerAlias("RSA", null, null)).as("no RSA key").isNull();
    }

    @Test
    void aRenewalKeepsTheNodeItsRoleAndItsHostsAndRefusesAnythingElse() throws Exception {
        NodeCredentials voter = ca.issue("n1", List.of("127.0.0.1", "node1.example"), true);
        KeyPair next = ClusterCa.newKeyPair();
        X509Certificate renewed = ca.renew(voter.certificate(), next.getPublic());
        assertThat(NodeCredentials.nodeIdOf(renewed)).contains("n1");
        assertThat(NodeCredentials.isVoter(renewed)).isTrue();
        assertThat(List.copyOf(renewed.getSubjectAlternativeNames())).isEqualTo(List.copyOf(voter.certificate().getSubjectAlternativeNames()));
        assertThat(renewed.getNotAfter().toInstant()).isAfter(Instant.now().plus(ClusterCa.NODE_VALIDITY).minus(Duration.ofMinutes(5)));

        X509Certificate original = voter.certificate();
        KeyPair other = ClusterCa.newKeyPair();
        assertThatThrownBy(() -> voter.renew(ca.issueFor("n2", List.of(), next.getPublic(), true), next.getPrivate()))
                .hasMessageContaining("names node n2");
        assertThatThrownBy(() -> voter.renew(ca.issueFor("n1", List.of(), next.getPublic(), false), next.getPrivate()))
                .hasMessageContaining("drops the voter role");
        assertThatThrownBy(() -> voter.renew(renewed, other.getPrivate())).hasMessageContaining("not for this key");
        ClusterCa foreign = ClusterCa.create("renewal");
        assertThatThrownBy(() -> voter.renew(foreign.issueFor("n1", List.of(), next.getPublic(), true), next.getPrivate()))
                .hasMessageContaining("not signed by the cluster CA");
        Instant now = Instant.now();
        assertThatThrownBy(() -> voter.renew(ca.issueFor("n1", List.of(), next.getPublic(), true, now.minus(Duration.ofDays(2)),
                now.minus(Duration.ofDays(1))), next.getPrivate())).hasMessageContaining("not valid now");
        assertThat(voter.certificate()).isEqualTo(original);

        // The CA renews only its own, unexpired certificates.
        assertThatThrownBy(() -> ca.renew(foreign.issue("n1", List.of()).certificate(), next.getPublic()))
                .hasMessageContaining("not a valid certificate of this cluster's CA");
        NodeCredentials expired = ca.issue("n1", List.of(), false, now.minus(Duration.ofDays(2)), now.minus(Duration.ofDays(1)));
        assertThatThrownBy(() -> ca.renew(expired.certificate(), next.getPublic())).hasMessageContaining("not a valid certificate");
    }

    @Test
    void aRenewalIsWrittenWhereTheCredentialsAreKeptAndASaveCutShortIsFinishedAtLoad() throws Exception {
        ca.issue("n1", List.of("127.0.0.1")).save(dir);
        NodeCredentials loaded = NodeCredentials.load(dir);
        KeyPair next = ClusterCa.newKeyPair();
        X509Certificate renewed = ca.renew(loaded.certificate(), next.getPublic());
        loaded.renew(renewed, next.getPrivate());
        assertThat(NodeCredentials.load(dir).certificate()).isEqualTo(renewed);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("ca.crt", "node.crt", "node.key");
        }

        // A crash after the new key was moved in place and before the new certificate was.
        Path staged = dir.resolveSibling(dir.getFileName() + "-staged");
        NodeCredentials third = ca.issue("n1", List.of("127.0.0.1"));
        third.save(staged);
        Files.copy(staged.resolve(NodeCredentials.KEY_FILE), dir.resolve(NodeCredentials.KEY_FILE), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(staged.resolve(NodeCredentials.CERT_FILE), dir.resolve(NodeCredentials.CERT_FILE + ".new"));
        NodeCredentials recovered = NodeCredentials.load(dir);
        assertThat(recovered.certificate()).isEqualTo(third.certificate());
        assertThat(recovered.key()).isEqualTo(third.key());
        assertThat(Files.exists(dir.resolve(NodeCredentials.CERT_FILE + ".new"))).isFalse();

        // A certificate that is not its key's is refused, not used.
        ca.issue("n1", List.of("127.0.0.1")).save(staged);
        Files.copy(staged.resolve(NodeCredentials.CERT_FILE), dir.resolve(NodeCredentials.CERT_FILE), StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> NodeCredentials.load(dir)).hasMessageContaining("is not the certificate of node.key");
    }
}
