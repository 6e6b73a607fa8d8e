package io.cairn.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The sealed segments of SSE-C: sizes, ranges, and refusal of any change to the stored bytes. */
class SseCTest {

    static final Random RANDOM = new Random(7);
    static final SseC.Key KEY = key();

    static SseC.Key key() {
        byte[] k = new byte[32];
        RANDOM.nextBytes(k);
        return new SseC.Key(k, "unused");
    }

    static byte[] seal(byte[] plain, byte[] salt) throws IOException {
        byte[] sealed = SseC.encrypting(new ByteArrayInputStream(plain), KEY, salt).readAllBytes();
        assertThat(sealed.length).isEqualTo(SseC.cipherLength(plain.length));
        return sealed;
    }

    static byte[] open(byte[] sealed, byte[] salt, SseC.Key key, long offset, long length, long plainLength) throws IOException {
        long[] c = SseC.cipherRange(offset, length, plainLength);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        OutputStream d = SseC.decrypting(out, key, salt, c[2], offset - c[2] * SseC.SEGMENT, length);
        d.write(sealed, (int) c[0], (int) c[1]);
        d.close();
        return out.toByteArray();
    }

    @Test
    void everyRangeOfEverySizeReadsBackItsPlaintext() throws IOException {
        for (int size : new int[] {1, 100, SseC.SEGMENT - 1, SseC.SEGMENT, SseC.SEGMENT + 1, 3 * SseC.SEGMENT + 17}) {
            byte[] plain = new byte[size];
            RANDOM.nextBytes(plain);
            byte[] salt = SseC.newSalt();
            byte[] sealed = seal(plain, salt);
            assertThat(open(sealed, salt, KEY, 0, size, size)).isEqualTo(plain);
            for (int i = 0; i < 20; i++) {
                int from = RANDOM.nextInt(size);
                int len = 1 + RANDOM.nextInt(size - from);
                assertThat(open(sealed, salt, KEY, from, len, size)).as("range %d+%d of %d", from, len, size)
                        .isEqualTo(Arrays.copyOfRange(plain, from, from + len));
            }
        }
        assertThat(SseC.cipherLength(0)).isZero();
    }

    @Test
    void aFlippedByteAMovedSegmentAnotherSaltOrAnotherKeyFailTheRead() throws IOException {
        byte[] plain = new byte[3 * SseC.SEGMENT];
        RANDOM.nextBytes(plain);
        byte[] salt = SseC.newSalt();
        byte[] sealed = seal(plain, salt);
        byte[] flipped = sealed.clone();
        flipped[SseC.SEGMENT + 100] ^= 1;
        assertThatThrownBy(() -> open(flipped, salt, KEY, 0, plain.length, plain.length)).isInstanceOf(IOException.class);
        int seg = SseC.SEGMENT + SseC.OVERHEAD;
        byte[] swapped = sealed.clone();
        System.arraycopy(sealed, 0, swapped, seg, seg);
        System.arraycopy(sealed, seg, swapped, 0, seg);
        assertThatThrownBy(() -> open(swapped, salt, KEY, 0, plain.length, plain.length)).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> open(sealed, SseC.newSalt(), KEY, 0, plain.length, plain.length)).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> open(sealed, salt, key(), 0, plain.length, plain.length)).isInstanceOf(IOException.class);
        byte[] cut = Arrays.copyOf(sealed, 2 * seg);
        assertThatThrownBy(() -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            OutputStream d = SseC.decrypting(out, KEY, salt, 0, 0, plain.length);
            d.write(cut);
            d.close();
        }).isInstanceOf(IOException.class).hasMessageContaining("early");
    }

    @Test
    void theMarkerTellsTheRightKeyFromAWrongOne() {
        byte[] salt = SseC.newSalt();
        String marker = SseC.marker(KEY, salt, 12345);
        ObjectInfo info = new ObjectInfo("k", 99, "e", 0, "t", java.util.Map.of(), java.util.Map.of(SseC.MARKER_HEADER, marker));
        SseC.Marker m = SseC.markerOf(info).orElseThrow();
        assertThat(m.plainLength()).isEqualTo(12345);
        assertThat(SseC.visibleSize(info)).isEqualTo(12345);
        assertThat(SseC.matches(KEY, m)).isTrue();
        assertThat(SseC.matches(key(), m)).isFalse();
        assertThat(marker).doesNotContain(java.util.Base64.getEncoder().encodeToString(KEY.bytes()));
    }
}
