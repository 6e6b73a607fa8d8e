package io.cairn.meta.tls;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The token a new cluster's first nodes share: {@code CAIRN-BOOT-1.<secret>} (256 random bits,
 * base64url). There is no cluster CA yet when it is made, so unlike a {@link JoinToken} it names
 * none: the first meta voter creates the CA at its first start and admits the other first nodes
 * that bring this token, for {@link #WINDOW} after the CA's making; after that it admits nobody.
 * The admitting voter proves it holds the token too ({@link #proof}), so a false endpoint cannot
 * enrol a node into another cluster.
 */
public record BootstrapToken(String secret) implements NodeToken {
    static final String PREFIX = "CAIRN-BOOT-1";
    /** How long after the CA's making the token admits nodes. */
    public static final Duration WINDOW = Duration.ofHours(1);
    private static final SecureRandom RANDOM = new SecureRandom();

    public BootstrapToken {
        if (secret == null || !secret.matches("[A-Za-z0-9_-]{43}")) {
            throw new IllegalArgumentException("malformed bootstrap token secret");
        }
    }

    /** The moment from which a bootstrap token admits nobody, for a CA made at {@code caMade}. */
    public static java.time.Instant admitsUntil(java.time.Instant caMade) {
        return caMade.plus(WINDOW);
    }

    @Override
    public boolean mayAskForVoter() {
        return true;
    }

    @Override
    public String notOurCluster(java.security.cert.X509Certificate ca, java.security.cert.X509Certificate certificate, String proof) {
        try {
            if (proves(proof, ca.getEncoded(), certificate.getEncoded())) {
                return null;
            }
        } catch (java.security.cert.CertificateEncodingException e) {
            // not a proof either
        }
        return "the join endpoint did not prove that it holds the bootstrap token: not this cluster";
    }

    public static BootstrapToken create() {
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        return new BootstrapToken(Base64.getUrlEncoder().withoutPadding().encodeToString(secret));
    }

    /** Reads a token as {@link #toString} writes it; IllegalArgumentException when it is not one. */
    public static BootstrapToken parse(String text) {
        String[] parts = text == null ? new String[0] : text.strip().split("\\.");
        if (parts.length != 2 || !parts[0].equals(PREFIX)) {
            throw new IllegalArgumentException("not a Cairn bootstrap token (" + PREFIX + ".<secret>)");
        }
        return new BootstrapToken(parts[1]);
    }

    /** Whether {@code text} looks like a bootstrap token (rather than a join token). */
    public static boolean looksLikeOne(String text) {
        return text != null && text.strip().startsWith(PREFIX + ".");
    }

    /** Whether {@code other} is this token, compared in constant time. */
    public boolean sameAs(BootstrapToken other) {
        return MessageDigest.isEqual(secret.getBytes(StandardCharsets.US_ASCII), other.secret.getBytes(StandardCharsets.US_ASCII));
    }

    /** HMAC-SHA256 under the secret of a CA certificate and a node certificate (DER), base64: the admitting voter's proof. */
    public String proof(byte[] caDer, byte[] certificateDer) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.US_ASCII), "HmacSHA256"));
            mac.update("cairn bootstrap admission".getBytes(StandardCharsets.US_ASCII));
            mac.update(java.nio.ByteBuffer.allocate(4).putInt(caDer.length).array());
            mac.update(caDer);
            mac.update(certificateDer);
            return Base64.getEncoder().encodeToString(mac.doFinal());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether {@code proof} is {@link #proof} of the two certificates, compared in constant time. */
    public boolean proves(String proof, byte[] caDer, byte[] certificateDer) {
        return proof != null && MessageDigest.isEqual(proof.getBytes(StandardCharsets.US_ASCII),
                proof(caDer, certificateDer).getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public String toString() {
        return PREFIX + "." + secret;
    }
}
