package io.cairn.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.core.partition.PartitionId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.NoSuchElementException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class FilePerBlobPartitionStoreTest extends PartitionStoreContractTest {

    @Override
    PartitionStore open(Path dataDir) throws IOException {
        return FilePerBlobPartitionStore.open(dataDir);
    }

    @Override
    BlobSpan blobSpanOf(PartitionStore store, PartitionId p, String key) {
        Path file = ((FilePerBlobPartitionStore) store).blobPath(p, key);
        try {
            return new BlobSpan(file, 0, Files.size(file));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void missingBlobFileIsCorruptUntilRepaired() throws IOException {
        store.apply(P0, put("m", v(1, 3), "missing"));
        Files.delete(rocks().blobPath(P0, "m"));

        assertThat(store.readBlob(P0, "m")).isInstanceOf(BlobRead.Corrupt.class);
        assertThat(store.repair(P0, put("m", v(1, 3), "missing"))).isTrue();
        assertThat(text(store.readBlob(P0, "m"))).isEqualTo("missing");
    }

    FilePerBlobPartitionStore rocks() {
        return (FilePerBlobPartitionStore) store;
    }

    long blobFiles() throws IOException {
        try (Stream<Path> files = Files.walk(dir.resolve("blobs"))) {
            return files.filter(Files::isRegularFile).count();
        }
    }

    @Test
    void leftoverTemporaryFileIsRemovedOnOpen() throws IOException {
        store.apply(P0, put("c/1", v(1, 1), "kept"));
        store.close();
        Path leftover = dir.resolve("tmp").resolve("17.tmp");
        Files.write(leftover, new byte[] {1, 2, 3});

        store = open(dir);

        assertThat(leftover).doesNotExist();
        try (Stream<Path> tmp = Files.list(dir.resolve("tmp"))) {
            assertThat(tmp).isEmpty();
        }
        assertThat(text(store.readBlob(P0, "c/1"))).isEqualTo("kept");
    }

    @Test
    void supersededAndDroppedBlobFilesAreDeleted() throws IOException {
        store.apply(P0, put("c/1", v(1, 1), "first"));
        Path first = rocks().blobPath(P0, "c/1");
        store.apply(P0, put("c/1", v(1, 2), "second"));
        Path second = rocks().blobPath(P0, "c/1");
        store.apply(P1, put("c/1", v(1, 1), "other partition"));

        assertThat(first).doesNotExist();
        assertThat(second).exists().isNotEqualTo(first);
        assertThat(second.startsWith(dir.resolve("blobs"))).isTrue();
        assertThat(blobFiles()).isEqualTo(2);

        store.apply(P0, tombstone("c/1", v(1, 3)));
        assertThat(second).doesNotExist();
        assertThatThrownBy(() -> rocks().blobPath(P0, "c/1")).isInstanceOf(NoSuchElementException.class);

        store.dropPartition(P1);
        assertThat(blobFiles()).isZero();
    }

    @Test
    void repairWithoutABlobRemovesTheBlobFile() throws IOException {
        store.apply(P0, put("c/1", v(1, 1), "x"));
        Path file = rocks().blobPath(P0, "c/1");

        assertThat(store.repair(P0, metaOnly("c/1", v(1, 1)))).isTrue();

        assertThat(file).doesNotExist();
        assertThat(store.get(P0, "c/1").orElseThrow().blobLength()).isZero();
        assertThat(store.readBlob(P0, "c/1")).isEqualTo(new BlobRead.Missing());
    }

    @Test
    void aSecondOpenOfTheSameDirectoryFailsClearly() {
        assertThatThrownBy(() -> FilePerBlobPartitionStore.open(dir)).isInstanceOf(IOException.class)
                .hasMessageContaining("cannot open");
        assertThat(store.partitions()).isEmpty();
    }
}
