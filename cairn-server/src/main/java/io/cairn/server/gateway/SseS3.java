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
 * <p>The master key is 32 random bytes, base64, in a file of mode 0600 that every node names in
 * {@code sse_master_key_file}: all nodes must hold the same key. Its id (the start of its SHA-256)
 * is stored with every wrapped key, so a node with another key fails loudly instead of
 * returning garbage.
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

    private final byte[] masterKey;
    private final String keyId;

    private SseS3(byte[] masterKey) {
        if (masterKey.length != 32) {
            throw new IllegalArgumentException("the SSE master key must be 32 bytes, not " + masterKey.length);
        }
        this.masterKey = masterKey.clone();
        this.keyId = idOf(masterKey);
    }

    /** Reads a master key file, refusing one that others may read. */
    public static SseS3 load(Path file) throws IOException {
        io.cairn.meta.tls.Pem.requireOwnerOnly(file);
        byte[] key;
        try {
            key = Base64.getDecoder().decode(Files.readString(file, StandardCharsets.US_ASCII).strip());
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": the SSE master key is not base64", e);
        }
        if (key.length != 32) {
            throw new IOException(file + ": the SSE master key must be 32 bytes (base64 of 44 characters), not " + key.length);
        }
        return new SseS3(key);
    }

    /** Writes a new random master key to {@code file} (mode 0600), unless the file exists. */
    public static void createIfAbsent(Path file) throws IOException {
        if (Files.exists(file)) {
            return;
        }
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, Base64.getEncoder().encodeToString(key) + "\n", StandardCharsets.US_ASCII);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static String idOf(byte[] key) {
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
        byte[] wrapped = seal(masterKey, "cairn sse-s3 data key " + keyId, key, 0, key.length);
        return new DataKey(key, "v1;" + keyId + ";" + Base64.getEncoder().encodeToString(wrapped));
    }

    /** The data key of an object with these stored headers, or null when it is not encrypted. */
    public static String markerOf(Map<String, String> headers) {
        return headers == null ? null : headers.get(MARKER);
    }

    /** Unwraps the data key in {@code marker}; fails loudly when it was wrapped by another master key or is damaged. */
    public byte[] unwrap(String marker) throws IOException {
        String[] parts = marker.split(";");
        if (parts.length != 3 || !parts[0].equals("v1")) {
            throw new IOException("unreadable SSE-S3 marker");
        }
        if (!parts[1].equals(keyId)) {
            throw new IOException("the object was encrypted under master key " + parts[1] + ", and this node holds master key " + keyId
                    + ": every node's sse_master_key_file must hold the same key");
        }
        return open(masterKey, "cairn sse-s3 data key " + keyId, Base64.getDecoder().decode(parts[2]));
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
        return SEALED_SECRET_PREFIX + keyId + ":" + Base64.getEncoder().encodeToString(
                seal(masterKey, "cairn user secret " + accessKey, clear, 0, clear.length));
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
        String[] parts = stored.substring(SEALED_SECRET_PREFIX.length()).split(":", 2);
        if (parts.length != 2 || !parts[0].equals(keyId)) {
            throw new IllegalStateException("the secret of access key " + accessKey + " is sealed under master key "
                    + (parts.length == 2 ? parts[0] : "?") + ", and this node holds master key " + keyId
                    + ": every node's sse_master_key_file must hold the same key");
        }
        try {
            String clear = new String(open(masterKey, "cairn user secret " + accessKey, Base64.getDecoder().decode(parts[1])),
                    StandardCharsets.UTF_8);
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
