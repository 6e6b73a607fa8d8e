package io.cairn.core.store;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The rules every store key obeys: valid Unicode, encoded as UTF-8, within {@link StoreLimits}.
 * Checked where a key enters (a {@link Mutation}, a read), so bad input is refused with a clear
 * {@link IllegalArgumentException} before anything changes.
 */
public final class RecordKeys {

    private RecordKeys() {}

    /** The order of record keys in a store: by their UTF-8 bytes, which is code point order (not {@link String#compareTo}). */
    public static final java.util.Comparator<String> UTF8_ORDER = (a, b) -> {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    };

    /** The UTF-8 bytes of a record key; rejects null, empty, malformed or too long keys. */
    public static byte[] recordKey(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("record key must be non-empty");
        }
        return utf8(key, "record key", StoreLimits.KEY_BYTES_MAX);
    }

    /** The UTF-8 bytes of a key prefix or an after-key; empty is allowed. */
    public static byte[] keyBound(String bound, String what) {
        if (bound == null) {
            throw new IllegalArgumentException(what + " must not be null (use \"\")");
        }
        return utf8(bound, what, StoreLimits.KEY_BYTES_MAX);
    }

    /** The UTF-8 bytes of {@code s}, at most {@code maxBytes}; {@code what} names it in errors. */
    public static byte[] utf8(String s, String what, int maxBytes) {
        if (s.length() > maxBytes) {
            throw new IllegalArgumentException(what + " is longer than " + maxBytes + " bytes of UTF-8: "
                    + s.length() + " chars");
        }
        ByteBuffer encoded;
        try {
            encoded = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(s));
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(what + " is not valid Unicode (unpaired surrogate?): " + e.getMessage());
        }
        if (encoded.remaining() > maxBytes) {
            throw new IllegalArgumentException(what + " is " + encoded.remaining() + " bytes of UTF-8, more than "
                    + maxBytes);
        }
        byte[] bytes = new byte[encoded.remaining()];
        encoded.get(bytes);
        return bytes;
    }
}
