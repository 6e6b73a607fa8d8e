package io.cairn.meta.tls;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.HexFormat;

/**
 * A one-time join token: {@code CAIRN-JOIN-1.<secret>.<CA fingerprint>}. The secret (256 random
 * bits, base64url) is what admits a new node, once; the cluster keeps only its SHA-256. The
 * fingerprint (SHA-256 of the cluster CA certificate) lets the joining node check that the
 * certificate authority it is given is the cluster's and not an impostor's.
 */
public record JoinToken(String secret, String caFingerprint) implements NodeToken {
    static final String PREFIX = "CAIRN-JOIN-1";
    private static final SecureRandom RANDOM = new SecureRandom();

    public JoinToken {
        if (secret == null || !secret.matches("[A-Za-z0-9_-]{43}")) {
            throw new IllegalArgumentException("malformed join token secret");
        }
        if (caFingerprint == null || !caFingerprint.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("malformed join token CA fingerprint");
        }
    }

    /** A fresh token for the cluster whose CA certificate is {@code ca}. */
    public static JoinToken create(X509Certificate ca) {
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        return new JoinToken(Base64.getUrlEncoder().withoutPadding().encodeToString(secret), fingerprint(ca));
    }

    /** Reads a token as {@link #toString} writes it; IllegalArgumentException when it is not one. */
    public static JoinToken parse(String text) {
        String[] parts = text == null ? new String[0] : text.strip().split("\\.");
        if (parts.length != 3 || !parts[0].equals(PREFIX)) {
            throw new IllegalArgumentException("not a Cairn join token (" + PREFIX + ".<secret>.<fingerprint>)");
        }
        return new JoinToken(parts[1], parts[2]);
    }

    /** The hex SHA-256 of the secret: the name under which the cluster keeps the token. */
    public String secretHash() {
        return sha256Hex(secret.getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public boolean mayAskForVoter() {
        return false;
    }

    @Override
    public String notOurCluster(X509Certificate ca, X509Certificate certificate, String proof) {
        return fingerprint(ca).equals(caFingerprint) ? null
                : "the join endpoint answered with a CA other than the one the join token names: not this cluster";
    }

    /** The hex SHA-256 of a certificate's DER encoding. */
    public static String fingerprint(X509Certificate cert) {
        try {
            return sha256Hex(cert.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return PREFIX + "." + secret + "." + caFingerprint;
    }
}
