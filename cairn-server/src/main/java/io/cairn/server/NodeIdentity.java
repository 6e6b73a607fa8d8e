package io.cairn.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The persistent id of a node, kept in {@code DATA_DIR/node-id} (created on first start), and its
 * incarnation, kept in {@code DATA_DIR/incarnation}: a number larger at every start of the node
 * process, by which its peers tell its mirrors from those an earlier run sent before it restarted.
 */
public final class NodeIdentity {

    private static final Pattern ID = Pattern.compile("n[0-9a-f]{12}");
    private static final String FILE = "node-id";
    private static final String INCARNATION = "incarnation";

    private NodeIdentity() {}

    public static String loadOrCreate(Path dataDir) throws IOException {
        Files.createDirectories(dataDir);
        Path file = dataDir.resolve(FILE);
        if (Files.exists(file)) {
            String id = Files.readString(file, StandardCharsets.US_ASCII).trim();
            if (!ID.matcher(id).matches()) {
                throw new ConfigException(file + ": not a node id: '" + id + "' (expected n + 12 hex digits)");
            }
            return id;
        }
        byte[] random = new byte[6];
        new SecureRandom().nextBytes(random);
        String id = "n" + HexFormat.of().formatHex(random);
        writeDurably(dataDir, FILE, id);
        return id;
    }

    /**
     * The incarnation of this start: larger than the one stored (and than the wall clock in
     * milliseconds, so that a lost file cannot bring an old number back), stored durably before
     * the node serves anything.
     */
    public static long nextIncarnation(Path dataDir) throws IOException {
        Files.createDirectories(dataDir);
        Path file = dataDir.resolve(INCARNATION);
        long previous = 0;
        if (Files.exists(file)) {
            String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
            try {
                previous = Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw new ConfigException(file + ": not an incarnation number: '" + text + "'");
            }
        }
        long next = Math.max(previous + 1, System.currentTimeMillis());
        writeDurably(dataDir, INCARNATION, Long.toString(next));
        return next;
    }

    private static void writeDurably(Path dataDir, String name, String value) throws IOException {
        Path tmp = dataDir.resolve(name + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap((value + "\n").getBytes(StandardCharsets.US_ASCII)));
            ch.force(true);
        }
        Files.move(tmp, dataDir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
        try (FileChannel dir = FileChannel.open(dataDir, StandardOpenOption.READ)) {
            dir.force(true);
        }
    }
}
