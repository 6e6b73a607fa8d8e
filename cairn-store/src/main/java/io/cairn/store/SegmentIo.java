package io.cairn.store;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The file operations the segment engine performs, so that a test can stand in a disk that
 * loses or damages unsynced writes on a simulated crash. {@link FileSegmentIo} is the real one.
 */
public interface SegmentIo {

    /** Opens file for reading and writing, creating it if absent. */
    SegmentChannel open(Path file) throws IOException;

    /** Deletes file if it exists. */
    void delete(Path file) throws IOException;

    /** Makes the creation and deletion of entries in dir durable. */
    void syncDirectory(Path dir) throws IOException;

    /** Bytes an unprivileged writer may still use on the file system of dir. */
    long usableBytes(Path dir) throws IOException;

    /** Total bytes of the file system of dir. */
    long totalBytes(Path dir) throws IOException;
}
