package io.cairn.server.gateway;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Server-side encryption with keys the cluster keeps (SSE-S3). Every encrypted object (or
 * multipart upload) has its own random 256-bit data key; what is stored with the object is that
 * key wrapped (AES-256-GCM) by the cluster's master key, in the hidden header {@link #MARKER}.
 * Each stored piece of the object (every data chunk, or the inline bytes of a small object) is
 * sealed on its own with AES-256-GCM under the data key: a fresh 12-byte nonce, the ciphertext,
 * a 16-byte tag, with the piece's record id as associated data, so a piece cannot be moved to
 * another place or object without the read failing. Sizes, ranges and ETags stay the plaintext's.
 *
 * <p>A master key is 32 random bytes, base64, on a line of a file of mode 0600 that every node
 * names in {@code sse_master_key_file}: all nodes must hold the same keys. The file may hold
 * several (a key ring, one per line): the first wraps new data keys and seals new secrets, and
 * every one opens what it wrapped, so a key is rotated by adding the new one to every node,
 * then putting it first, then rewrapping what the old one wrapped, then removing the old one
 * ({@link KeyRingFile}). A key's id (the start of its SHA-256) is stored with every wrapped
 * key, so a node without that key fails loudly instead of returning garbage.
 */
public final class SseS3 {
    /** The header a client sends and is answered with. */
    public static final String HEADER = "x-amz-server-side-encryption";
    public static final String AES256 = "AES256";
    /** The stored wrapped data key, kept with the object's headers and never sent to a client. */
    public static final String MARKER = "X-Cairn-Sse-S3";
    static final int NONCE = 12;
    static final int TAG = 16;
    /** Bytes a sealed piece has beyond its plaintext. */
    public static final int OVERHEAD = NONCE + TAG;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** The key that wraps new data keys and seals new secrets (the first of the ring). */
    private final byte[] masterKey;
    private final String keyId;
    /** Every key of the ring by id, the current one first. */
    private final Map<String, byte[]> ring;

    private SseS3(java.util.List<byte[]> keys) {
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("no SSE master key");
        }
        Map<String, byte[]> byId = new java.util.LinkedHashMap<>();
        for (byte[] k : keys) { // each 32 bytes: KeyRingFile.read checks
            if (byId.put(idOf(k), k.clone()) != null) {
                throw new IllegalArgumentException("SSE master key " + idOf(k) + " is in the key ring twice");
            }
        }
        this.ring = java.util.Collections.unmodifiableMap(byId);
        this.masterKey = keys.getFirst().clone();
        this.keyId = idOf(masterKey);
    }

    /** Reads a master key file (one key, or a key ring of several, the current one first), refusing one that others may read. */
    public static SseS3 load(Path file) throws IOException {
        io.cairn.meta.tls.Pem.requireOwnerOnly(file);
        try {
            return new SseS3(KeyRingFile.read(file));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /** The ids of the ring's keys, the current one first. */
    public java.util.List<String> keyIds() {
        return java.util.List.copyOf(ring.keySet());
    }

    /** The master key of {@code id}, or an exception naming what this node holds. */
    private byte[] key(String id, String what) throws IOException {
        byte[] k = ring.get(id);
        if (k == null) {
            throw new IOException(what + " under master key " + id + ", which this node's sse_master_key_file does not hold (it holds "
                    + String.join(", ", ring.keySet()) + "): every node must hold every key still in use");
        }
        return k;
    }

    /** Writes a new random master key to {@code file} (mode 0600), unless the file exists. */
    public static void createIfAbsent(Path file) throws IOException {
        KeyRingFile.createIfAbsent(file);
    }

    static String idOf(byte[] key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key), 0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public String keyId() {
        return keyId;
    }

    /** A fresh data key and its marker (the key wrapped by the master key). */
    public DataKey newDataKey() {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return new DataKey(key, wrap(key));
    }

    /** The marker of {@code dataKey}: the key wrapped by the current master key, with that key's id. */
    private String wrap(byte[] dataKey) {
        byte[] wrapped = seal(masterKey, "cairn sse-s3 data key " + keyId, dataKey, 0, dataKey.length);
        return "v1;" + keyId + ";" + Base64.getEncoder().encodeToString(wrapped);
    }

    /** A marker's parts: its version, the wrapping master key's id, the wrapped key. */
    private static String[] markerParts(String marker) throws IOException {
        String[] parts = marker.split(";");
        if (parts.length != 3 || !parts[0].equals("v1")) {
            throw new IOException("unreadable SSE-S3 marker");
        }
        return parts;
    }

    /** The data key of an object with these stored headers, or null when it is not encrypted. */
    public static String markerOf(Map<String, String> headers) {
        return headers == null ? null : headers.get(MARKER);
    }

    /** Unwraps the data key in {@code marker}; fails loudly when it was wrapped by another master key or is damaged. */
    public byte[] unwrap(String marker) throws IOException {
        String[] parts = markerParts(marker);
        return open(key(parts[1], "the object's data key is wrapped"), "cairn sse-s3 data key " + parts[1],
                Base64.getDecoder().decode(parts[2]));
    }

    /** The id of the master key that wrapped the data key in {@code marker}. */
    public static String keyIdOf(String marker) throws IOException {
        return markerParts(marker)[1];
    }

    /** {@code marker}'s data key wrapped anew by the current master key (the marker itself if it already is). */
    public String rewrap(String marker) throws IOException {
        return keyIdOf(marker).equals(keyId) ? marker : wrap(unwrap(marker));
    }

    /** Seals {@code len} bytes of {@code buf} under {@code key}, bound to {@code aad}: nonce, ciphertext, tag. */
    public static byte[] seal(byte[] key, String aad, byte[] buf, int off, int len) {
        try {
            byte[] out = new byte[NONCE + len + TAG];
            byte[] nonce = new byte[NONCE];
            RANDOM.nextBytes(nonce);
            System.arraycopy(nonce, 0, out, 0, NONCE);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG * 8, nonce));
            c.updateAAD(aad.getBytes(StandardCharsets.UTF_8));
            c.doFinal(buf, off, len, out, NONCE);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot encrypt: " + e.getMessage(), e);
        }
    }

    /** Opens what {@link #seal} made with the same key and {@code aad}; a wrong key, place or byte fails. */
    public static byte[] open(byte[] key, String aad, byte[] sealed) throws IOException {
        if (sealed.length < OVERHEAD) {
            throw new IOException("an encrypted piece of " + sealed.length + " bytes is too short");
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG * 8, sealed, 0, NONCE));
            c.updateAAD(aad.getBytes(StandardCharsets.UTF_8));
            return c.doFinal(sealed, NONCE, sealed.length - NONCE);
        } catch (GeneralSecurityException e) {
            throw new IOException("an encrypted piece (" + aad + ") does not open: " + e.getMessage(), e);
        }
    }

    /** How a secret key sealed by {@link #sealSecret} starts in the cluster map. */
    public static final String SEALED_SECRET_PREFIX = "sealed1:";
    private final java.util.concurrent.ConcurrentHashMap<String, String> openedSecrets = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * A user's secret key as the cluster map keeps it: sealed under the master key and bound to
     * its access key, so neither the Raft log, its snapshots nor a map read shows it.
     */
    public String sealSecret(String accessKey, String secret) {
        byte[] clear = secret.getBytes(StandardCharsets.UTF_8);
        return sealBytes("cairn user secret " + accessKey, clear);
    }

    /**
     * {@code clear} sealed under the current master key and bound to {@code purpose}, as text
     * that names the key ({@code sealed1:<key id>:<base64>}): what {@link #openBytes} opens.
     */
    public String sealBytes(String purpose, byte[] clear) {
        return SEALED_SECRET_PREFIX + keyId + ":" + Base64.getEncoder().encodeToString(seal(masterKey, purpose, clear, 0, clear.length));
    }

    /** Opens what {@link #sealBytes} sealed for {@code purpose}; IOException for a wrong key, purpose or byte. */
    public byte[] openBytes(String purpose, String stored) throws IOException {
        if (!stored.startsWith(SEALED_SECRET_PREFIX)) {
            throw new IOException(purpose + " is not sealed");
        }
        String[] parts = sealedSecretParts(stored);
        if (parts.length != 2) {
            throw new IOException(purpose + ": the sealed text is unreadable");
        }
        try {
            return open(key(parts[0], purpose + " is sealed"), purpose, Base64.getDecoder().decode(parts[1]));
        } catch (IllegalArgumentException e) {
            throw new IOException(purpose + ": the sealed text is not base64");
        }
    }

    /** The id of the master key a stored secret is sealed under, or null if it is stored in clear. */
    public static String sealedSecretKeyId(String stored) {
        return stored.startsWith(SEALED_SECRET_PREFIX) ? sealedSecretParts(stored)[0] : null;
    }

    /** A sealed secret's parts: the sealing master key's id, the sealed secret (absent if unreadable). */
    private static String[] sealedSecretParts(String stored) {
        return stored.substring(SEALED_SECRET_PREFIX.length()).split(":", 2);
    }

    /** The secret key of {@code accessKey} as {@link #sealSecret} stored it (a secret stored in clear is returned as it is). */
    public String openSecret(String accessKey, String stored) {
        if (!stored.startsWith(SEALED_SECRET_PREFIX)) {
            return stored;
        }
        String cached = openedSecrets.get(stored);
        if (cached != null) {
            return cached;
        }
        String[] parts = sealedSecretParts(stored);
        if (parts.length != 2) {
            throw new IllegalStateException("the sealed secret of access key " + accessKey + " is unreadable");
        }
        try {
            String clear = new String(open(key(parts[0], "the secret of access key " + accessKey + " is sealed"),
                    "cairn user secret " + accessKey, Base64.getDecoder().decode(parts[1])), StandardCharsets.UTF_8);
            if (openedSecrets.size() > 10_000) {
                openedSecrets.clear();
            }
            openedSecrets.put(stored, clear);
            return clear;
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("the sealed secret of access key " + accessKey + " does not open: " + e.getMessage(), e);
        }
    }

    /** As {@link #open(byte[], String, byte[])}, from a buffer (read as it is, not copied) into a new one. */
    public static java.nio.ByteBuffer open(byte[] key, String aad, java.nio.ByteBuffer sealed) throws IOException {
        if (sealed.remaining() < OVERHEAD) {
            throw new IOException("an encrypted piece of " + sealed.remaining() + " bytes is too short");
        }
        try {
            byte[] nonce = new byte[NONCE];
            sealed.get(nonce);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG * 8, nonce));
            c.updateAAD(aad.getBytes(StandardCharsets.UTF_8));
            java.nio.ByteBuffer plain = java.nio.ByteBuffer.allocate(sealed.remaining() - TAG);
            c.doFinal(sealed, plain);
            return plain.flip();
        } catch (GeneralSecurityException e) {
            throw new IOException("an encrypted piece (" + aad + ") does not open: " + e.getMessage(), e);
        }
    }

    /** A data key in clear (kept in memory for one request only) and its stored form. */
    public record DataKey(byte[] key, String marker) {}
}
