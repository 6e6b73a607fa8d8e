package io.cairn.meta.tls;

/** What a node brings to get its certificate: a one-time {@link JoinToken}, or a new cluster's {@link BootstrapToken}. */
public sealed interface NodeToken permits JoinToken, BootstrapToken {

    /** Reads either kind of token; IllegalArgumentException when the text is neither. */
    static NodeToken parse(String text) {
        return BootstrapToken.looksLikeOne(text) ? BootstrapToken.parse(text) : JoinToken.parse(text);
    }
}
