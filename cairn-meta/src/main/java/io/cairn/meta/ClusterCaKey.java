package io.cairn.meta;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The cluster CA's private key as the meta voters keep it in their replicated state: sealed
 * under the cluster's master key, with the SHA-256 of the CA certificate it belongs to. Only
 * voters hold it (in their Raft log and snapshots); a query of the state never returns it.
 *
 * @param caFingerprint hex SHA-256 of the CA certificate's DER encoding
 * @param sealed        the key (PKCS#8), sealed as the master key seals secrets
 */
public record ClusterCaKey(@JsonProperty("ca_fingerprint") String caFingerprint, @JsonProperty("sealed") String sealed) {

    /** Longest sealed key kept: an EC P-256 key sealed and in base64 is about 250 characters. */
    public static final int SEALED_CHARS_MAX = 4096;

    public ClusterCaKey {
        if (caFingerprint == null || !caFingerprint.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("a CA is named by the hex SHA-256 of its certificate");
        }
        if (sealed == null || sealed.isEmpty() || sealed.length() > SEALED_CHARS_MAX) {
            throw new IllegalArgumentException("a sealed CA key is 1.." + SEALED_CHARS_MAX + " characters");
        }
    }
}
