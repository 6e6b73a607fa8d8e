package io.cairn.server.join;

import com.fasterxml.jackson.annotation.JsonInclude;
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
     * @param voter     whether the node is one of the new cluster's meta voters: heeded only with a bootstrap token
     */
    public record Request(@JsonProperty("token") String token, @JsonProperty("node_id") String nodeId,
                          @JsonProperty("public_key") String publicKey, @JsonProperty("hosts") List<String> hosts,
                          @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("voter") Boolean voter) {
        public Request(String token, String nodeId, String publicKey, List<String> hosts) {
            this(token, nodeId, publicKey, hosts, null);
        }
    }

    /**
     * The cluster CA's certificate and the node's, both base64 DER; for a bootstrap token, the
     * admitting voter's proof that it holds the token too ({@link io.cairn.meta.tls.BootstrapToken#proof}).
     */
    public record Response(@JsonProperty("ca") String ca, @JsonProperty("certificate") String certificate,
                           @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("proof") String proof) {
        public Response(String ca, String certificate) {
            this(ca, certificate, null);
        }
    }
}
