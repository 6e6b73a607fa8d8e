package io.cairn.s3;

import java.io.InputStream;

/** A request body after transfer decoding and with verification attached; {@code length} is -1 if unknown. */
public record DecodedBody(InputStream stream, long length) {}
