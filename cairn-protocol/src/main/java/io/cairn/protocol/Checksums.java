package io.cairn.protocol;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/** CRC32C, the checksum of every blob on disk and on the wire. */
public final class Checksums {

    private Checksums() {}

    /** CRC32C of {@code data}'s remaining bytes; its position does not move. */
    public static int crc32c(ByteBuffer data) {
        CRC32C crc = new CRC32C();
        crc.update(data.duplicate());
        return (int) crc.getValue();
    }
}
