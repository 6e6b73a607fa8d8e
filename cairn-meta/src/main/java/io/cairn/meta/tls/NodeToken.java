package io.cairn.meta.tls;

/** What a node brings to get its certificate: a one-time {@link JoinToken}, or a new cluster's {@link BootstrapToken}. */
public sealed interface NodeToken permits JoinToken, BootstrapToken {

    /** Whether a first node bringing this token may ask to be a meta voter (only a bootstrap token lets it). */
    boolean mayAskForVoter();

    /**
     * Why an admission that answered with {@code ca}, {@code certificate} and {@code proof} does
     * not come from the cluster this token is of (a join token names its CA; the holder of a
     * bootstrap token proves it holds it too); null when it does.
     */
    String notOurCluster(java.security.cert.X509Certificate ca, java.security.cert.X509Certificate certificate, String proof);

    /** Reads either kind of token; IllegalArgumentException when the text is neither. */
    static NodeToken parse(String text) {
        return BootstrapToken.looksLikeOne(text) ? BootstrapToken.parse(text) : JoinToken.parse(text);
    }
}
