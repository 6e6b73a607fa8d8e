package io.cairn.server.gateway;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The SSE master key file ({@code sse_master_key_file}) as a key ring: one base64 key of 32
 * bytes per line, the current key first; blank lines and lines starting with {@code #} are
 * skipped. A file of one line, as every earlier release wrote, is a ring of one. Rotation, on
 * every node's file ({@code cairn sse-key}):
 * <ol>
 * <li>{@link #add}: a new key at the end, which every node can then open with but none wraps with;</li>
 * <li>once every node has restarted with it, {@link #use}: the new key first, so new data keys and
 *     secrets are wrapped by it;</li>
 * <li>once every node has restarted with that, the cluster rewraps what the old key wrapped
 *     ({@code cairn admin sse rewrap});</li>
 * <li>{@link #remove} the old key.</li>
 * </ol>
 * Every change is written to a new file (mode 0600) that then replaces the old at once.
 */
public final class KeyRingFile {

    private static final SecureRandom RANDOM = new SecureRandom();

    private KeyRingFile() {}

    /** The keys of {@code file}, the current one first. */
    public static List<byte[]> read(Path file) throws IOException {
        List<byte[]> keys = new ArrayList<>();
        int n = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
            n++;
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            byte[] key;
            try {
                key = Base64.getDecoder().decode(t);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("line " + n + ": the SSE master key is not base64");
            }
            if (key.length != 32) {
                throw new IllegalArgumentException("line " + n + ": an SSE master key must be 32 bytes (base64 of 44 characters), not "
                        + key.length);
            }
            keys.add(key);
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("no SSE master key in the file");
        }
        return keys;
    }

    /** The ids of the keys of {@code file}, the current one first. */
    public static List<String> ids(Path file) throws IOException {
        return read(file).stream().map(SseS3::idOf).toList();
    }

    /** Writes a file with one new random key (mode 0600), unless the file exists. */
    public static void createIfAbsent(Path file) throws IOException {
        if (!Files.exists(file)) {
            write(file, List.of(newKey()));
        }
    }

    /** Adds a new random key at the end of the ring (known, not used yet); returns its id. */
    public static String add(Path file) throws IOException {
        io.cairn.meta.tls.Pem.requireOwnerOnly(file);
        List<byte[]> keys = read(file);
        byte[] key = newKey();
        keys.add(key);
        write(file, keys);
        return SseS3.idOf(key);
    }

    /** Puts the key {@code id} first: the one new data keys and secrets are wrapped by. */
    public static void use(Path file, String id) throws IOException {
        io.cairn.meta.tls.Pem.requireOwnerOnly(file);
        List<byte[]> keys = read(file);
        byte[] key = find(file, keys, id);
        keys.remove(key);
        keys.addFirst(key);
        write(file, keys);
    }

    /** Removes the key {@code id}, which must not be the current one. */
    public static void remove(Path file, String id) throws IOException {
        io.cairn.meta.tls.Pem.requireOwnerOnly(file);
        List<byte[]> keys = read(file);
        byte[] key = find(file, keys, id);
        if (key == keys.getFirst()) {
            throw new IllegalArgumentException("key " + id + " is the current key of " + file + "; put another first (use) before removing it");
        }
        keys.remove(key);
        write(file, keys);
    }

    private static byte[] find(Path file, List<byte[]> keys, String id) {
        return keys.stream().filter(k -> SseS3.idOf(k).equals(id)).findFirst().orElseThrow(() -> new IllegalArgumentException(
                "no key " + id + " in " + file + " (it holds " + String.join(", ", keys.stream().map(SseS3::idOf).toList()) + ")"));
    }

    private static byte[] newKey() {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return key;
    }

    private static void write(Path file, List<byte[]> keys) throws IOException {
        StringBuilder text = new StringBuilder();
        for (byte[] k : keys) {
            text.append(Base64.getEncoder().encodeToString(k)).append('\n');
        }
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = parent.resolve(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, text.toString(), StandardCharsets.US_ASCII);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
