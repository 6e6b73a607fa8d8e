package io.cairn.meta;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

/**
 * Who sends each Raft client's requests to this voter, as the client's TLS certificate names it.
 * The voter's call interceptor binds a client id to the certificate on every request it lets in,
 * before Ratis sees the request; the leader then judges each command by that identity
 * ({@link MetaSubmitters}). A client id stays bound to the first certificate that used it: a
 * request under the same id from another certificate is refused.
 */
final class RaftCallers {

    /** A caller: the node its certificate names, and whether the certificate has the voter role. */
    record Caller(String nodeId, boolean voter) {
    }

    /** Client ids remembered, least recently used first out: far more than a cluster has clients. */
    static final int CLIENTS_MAX = 4096;

    private final Map<ByteString, Caller> byClient = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<ByteString, Caller> eldest) {
            return size() > CLIENTS_MAX;
        }
    };

    /** Binds {@code clientId} to {@code caller}; false if another caller holds it already. */
    synchronized boolean bind(ByteString clientId, Caller caller) {
        Caller bound = byClient.putIfAbsent(clientId, caller);
        return bound == null || bound.equals(caller);
    }

    synchronized Optional<Caller> of(ByteString clientId) {
        return Optional.ofNullable(byClient.get(clientId));
    }
}
