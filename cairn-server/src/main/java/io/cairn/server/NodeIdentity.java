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

/** The persistent id of a node, kept in {@code DATA_DIR/node-id}; created on first start. */
public final class NodeIdentity {

    private static final Pattern ID = Pattern.compile("n[0-9a-f]{12}");
    private static final String FILE = "node-id";

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
        Path tmp = dataDir.resolve(FILE + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap((id + "\n").getBytes(StandardCharsets.US_ASCII)));
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        try (FileChannel dir = FileChannel.open(dataDir, StandardOpenOption.READ)) {
            dir.force(true);
        }
        return id;
    }
}
