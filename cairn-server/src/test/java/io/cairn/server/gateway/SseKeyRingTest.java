package io.cairn.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SseKeyRingTest {

    @TempDir
    Path tmp;

    @Test
    void aKeyIsRotatedByAddingUsingRewrappingAndRemovingIt() throws IOException {
        Path file = tmp.resolve("sse-master.key");
        KeyRingFile.createIfAbsent(file);
        String a = KeyRingFile.ids(file).getFirst();
        SseS3 onlyA = SseS3.load(file);
        SseS3.DataKey underA = onlyA.newDataKey();
        String secretUnderA = onlyA.sealSecret("AK1", "the secret");

        String b = KeyRingFile.add(file);
        assertThat(KeyRingFile.ids(file)).containsExactly(a, b);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        SseS3 knowsB = SseS3.load(file);
        assertThat(knowsB.keyId()).as("added, not used yet").isEqualTo(a);
        assertThat(SseS3.keyIdOf(knowsB.newDataKey().marker())).isEqualTo(a);

        KeyRingFile.use(file, b);
        assertThat(KeyRingFile.ids(file)).containsExactly(b, a);
        SseS3 usesB = SseS3.load(file);
        SseS3.DataKey underB = usesB.newDataKey();
        assertThat(SseS3.keyIdOf(underB.marker())).isEqualTo(b);
        // A node still on the ring before 'use' opens what B wraps, and the other way round.
        assertThat(knowsB.unwrap(underB.marker())).isEqualTo(underB.key());
        assertThat(usesB.unwrap(underA.marker())).isEqualTo(underA.key());
        assertThat(usesB.openSecret("AK1", secretUnderA)).isEqualTo("the secret");

        String rewrapped = usesB.rewrap(underA.marker());
        assertThat(SseS3.keyIdOf(rewrapped)).isEqualTo(b);
        assertThat(usesB.rewrap(rewrapped)).isSameAs(rewrapped);
        String resealed = usesB.sealSecret("AK1", usesB.openSecret("AK1", secretUnderA));

        assertThatThrownBy(() -> KeyRingFile.remove(file, b)).hasMessageContaining("is the current key");
        KeyRingFile.remove(file, a);
        SseS3 onlyB = SseS3.load(file);
        assertThat(onlyB.keyIds()).containsExactly(b);
        assertThat(onlyB.unwrap(rewrapped)).isEqualTo(underA.key());
        assertThat(onlyB.openSecret("AK1", resealed)).isEqualTo("the secret");
        // What A wrapped and was not rewrapped fails loudly, naming the key it needs.
        assertThatThrownBy(() -> onlyB.unwrap(underA.marker())).isInstanceOf(IOException.class)
                .hasMessageContaining("master key " + a).hasMessageContaining("does not hold");
        assertThatThrownBy(() -> onlyB.openSecret("AK1", secretUnderA)).hasMessageContaining("master key " + a);
    }

    @Test
    void aBadKeyFileIsRefusedWithItsLine() throws IOException {
        Path file = tmp.resolve("k");
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, "# ring\n\n" + java.util.Base64.getEncoder().encodeToString(new byte[32]) + "\nnot base64!\n",
                StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> SseS3.load(file)).hasMessageContaining("line 4").hasMessageContaining("not base64");
        String k = java.util.Base64.getEncoder().encodeToString(new byte[32]);
        Files.writeString(file, k + "\n" + k + "\n", StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> SseS3.load(file)).hasMessageContaining("twice");
        Files.writeString(file, "# nothing\n", StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> SseS3.load(file)).hasMessageContaining("no SSE master key");
        assertThatThrownBy(() -> KeyRingFile.use(tmp.resolve("absent"), "x")).isInstanceOf(IOException.class);
        Files.writeString(file, k + "\n", StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> KeyRingFile.use(file, "0123")).hasMessageContaining("no key 0123");
        assertThat(KeyRingFile.ids(file)).hasSize(1);
        assertThat(List.of(SseS3.load(file).keyId())).isEqualTo(KeyRingFile.ids(file));
    }
}
