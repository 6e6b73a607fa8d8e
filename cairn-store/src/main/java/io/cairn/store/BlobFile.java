package io.cairn.store;

import io.cairn.core.partition.Version;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The on-disk form of one blob: a self-describing header, then the data.
 * Header: {@code [magic "CRNB": i32][format: u16][identity length: u16][data length: i64]
 * [data crc32c: i32][epoch: i64][seq: i64][identity][header crc32c: i32]}, where the
 * identity is the record's encoded partition and key, and the header CRC32C covers every
 * header byte before it. A file is written to a temporary name, forced, and renamed into
 * place, so a reader sees either the whole old file or the whole new one.
 */
final class BlobFile {

    static final int MAGIC = 0x43524E42;
    static final short FORMAT = 1;
    private static final int FIXED_HEADER_BYTES = 4 + 2 + 2 + 8 + 4 + 8 + 8 + 4;

    private BlobFile() {}

    static int headerBytes(int identityLength) {
        return FIXED_HEADER_BYTES + identityLength;
    }

    static int crc32c(ByteBuffer data) {
        CRC32C crc = new CRC32C();
        crc.update(data.duplicate());
        return (int) crc.getValue();
    }

    /**
     * Writes data to tmp, forces it, renames it to target and forces target's directory.
     * tmp is removed if anything fails before the rename.
     */
    static void write(Path tmp, Path target, byte[] identity, Version version, ByteBuffer data, int dataCrc32c)
            throws IOException {
        if (identity.length > 0xffff) {
            throw new IllegalStateException("blob identity too long: " + identity.length);
        }
        if (crc32c(data) != dataCrc32c) {
            throw new IllegalStateException("blob changed while it was being stored");
        }
        ByteBuffer header = ByteBuffer.allocate(headerBytes(identity.length))
                .putInt(MAGIC)
                .putShort(FORMAT)
                .putShort((short) identity.length)
                .putLong(data.remaining())
                .putInt(dataCrc32c)
                .putLong(version.epoch())
                .putLong(version.seq())
                .put(identity);
        header.putInt(crc32c(header.duplicate().flip()));
        header.flip();
        ByteBuffer body = data.duplicate();
        boolean renamed = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                while (header.hasRemaining()) {
                    ch.write(header);
                }
                while (body.hasRemaining()) {
                    ch.write(body);
                }
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            renamed = true;
            fsyncDirectory(target.getParent());
        } finally {
            if (!renamed) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /**
     * Reads and checks the blob file of a record: header checksum, identity, version, length
     * and the data's CRC32C against both the file header and the index.
     */
    static BlobRead read(Path file, byte[] identity, RecordHeader expected) {
        ByteBuffer whole;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            long sizeMax = headerBytes(identity.length) + (long) StoreLimits.BLOB_BYTES_MAX;
            if (size > sizeMax) {
                return new BlobRead.Corrupt("blob file is " + size + " bytes, more than any blob file can be");
            }
            whole = ByteBuffer.allocate((int) size);
            while (whole.hasRemaining()) {
                if (ch.read(whole) < 0) {
                    break;
                }
            }
            whole.flip();
        } catch (NoSuchFileException e) {
            return new BlobRead.Corrupt("blob file is missing");
        } catch (AccessDeniedException e) {
            return new BlobRead.Corrupt("blob file is not readable");
        } catch (IOException e) {
            return new BlobRead.Corrupt("blob file read failed: " + e);
        }
        int headerLength = headerBytes(identity.length);
        if (whole.remaining() < headerLength) {
            return new BlobRead.Corrupt("blob file is truncated: " + whole.remaining() + " bytes");
        }
        int magic = whole.getInt();
        short format = whole.getShort();
        int identityLength = whole.getShort() & 0xffff;
        long dataLength = whole.getLong();
        int dataCrc = whole.getInt();
        Version version;
        try {
            version = new Version(whole.getLong(), whole.getLong());
        } catch (IllegalArgumentException e) {
            return new BlobRead.Corrupt("blob file header holds an invalid version");
        }
        if (magic != MAGIC) {
            return new BlobRead.Corrupt("blob file has a bad magic number");
        }
        if (format != FORMAT) {
            return new BlobRead.Corrupt("blob file has unknown format " + format);
        }
        if (identityLength != identity.length) {
            return new BlobRead.Corrupt("blob file belongs to another key (identity length differs)");
        }
        byte[] storedIdentity = new byte[identityLength];
        whole.get(storedIdentity);
        int headerCrc = whole.getInt();
        if (crc32c(whole.duplicate().position(0).limit(headerLength - 4)) != headerCrc) {
            return new BlobRead.Corrupt("blob file header checksum mismatch");
        }
        if (!Arrays.equals(storedIdentity, identity)) {
            return new BlobRead.Corrupt("blob file belongs to another key");
        }
        if (!version.equals(expected.version())) {
            return new BlobRead.Corrupt("blob file holds version " + version + ", index says " + expected.version());
        }
        if (dataLength != expected.blobLength() || dataCrc != expected.blobCrc32c()) {
            return new BlobRead.Corrupt("blob file header disagrees with the index about length or checksum");
        }
        ByteBuffer data = whole.slice();
        if (data.remaining() != dataLength) {
            return new BlobRead.Corrupt("blob file holds " + data.remaining() + " data bytes, header says "
                    + dataLength);
        }
        if (crc32c(data) != dataCrc) {
            return new BlobRead.Corrupt("blob data checksum mismatch");
        }
        return new BlobRead.Found(version, data.asReadOnlyBuffer());
    }

    static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
