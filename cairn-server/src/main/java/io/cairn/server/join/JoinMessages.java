package io.cairn.server.join;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** What a joining node sends to {@code POST /_cairn/join} and what it gets back, as JSON. */
public final class JoinMessages {

    private JoinMessages() {}

    /**
     * @param token     the join token, as {@code cairn admin node token} printed it
     * @param nodeId    the joining node's id (from its data directory)
     * @param publicKey the node's public key (X.509 SubjectPublicKeyInfo, base64): its private key never leaves it
     * @param hosts     the hosts of the node's addresses, to be named in its certificate
     */
    public record Request(@JsonProperty("token") String token, @JsonProperty("node_id") String nodeId,
                          @JsonProperty("public_key") String publicKey, @JsonProperty("hosts") List<String> hosts) {}

    /** The cluster CA's certificate and the node's, both base64 DER. */
    public record Response(@JsonProperty("ca") String ca, @JsonProperty("certificate") String certificate) {}
}
