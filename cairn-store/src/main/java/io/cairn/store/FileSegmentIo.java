package io.cairn.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** {@link SegmentIo} on real files through {@link FileChannel}; force is fdatasync. */
public final class FileSegmentIo implements SegmentIo {

    public static final FileSegmentIo INSTANCE = new FileSegmentIo();

    private FileSegmentIo() {}

    @Override
    public SegmentChannel open(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        return new FileSegmentChannel(ch);
    }

    @Override
    public void delete(Path file) throws IOException {
        Files.deleteIfExists(file);
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    @Override
    public long usableBytes(Path dir) throws IOException {
        return Files.getFileStore(dir).getUsableSpace();
    }

    @Override
    public long totalBytes(Path dir) throws IOException {
        return Files.getFileStore(dir).getTotalSpace();
    }

    private record FileSegmentChannel(FileChannel ch) implements SegmentChannel {

        @Override
        public void write(ByteBuffer src, long position) throws IOException {
            long at = position;
            while (src.hasRemaining()) {
                at += ch.write(src, at);
            }
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            int total = 0;
            while (dst.hasRemaining()) {
                int n = ch.read(dst, position + total);
                if (n < 0) {
                    break;
                }
                total += n;
            }
            return total;
        }

        @Override
        public void force() throws IOException {
            ch.force(false);
        }

        @Override
        public long size() throws IOException {
            return ch.size();
        }

        @Override
        public void truncate(long size) throws IOException {
            ch.truncate(size);
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}
