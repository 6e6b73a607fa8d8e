package io.cairn.node.rpc;

import io.cairn.meta.tls.NodeCredentials;
import io.cairn.protocol.Request;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.X509Certificate;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who is calling a node over mutual TLS: the node id its certificate (of the cluster CA, checked
 * by the TLS handshake) names. A call without one is refused; a request that names its sender
 * (a mirror its primary, a pull its holder, a ping its origin) must name the caller.
 */
public final class PeerIdentity {

    private static final Logger log = LoggerFactory.getLogger(PeerIdentity.class);

    /** The calling node's id, on calls that came over mutual TLS; absent on in-process calls. */
    static final Context.Key<String> NODE = Context.key("cairn-peer-node");
    /** The certificate the caller presented (what names {@link #NODE}). */
    static final Context.Key<X509Certificate> CERTIFICATE = Context.key("cairn-peer-certificate");

    private PeerIdentity() {}

    /**
     * Refuses calls whose TLS session carries no node certificate, or the certificate of a node
     * removed from the cluster (checked on every call: a connection made before the removal stays
     * open), and records the caller's node id for the service.
     */
    public static ServerInterceptor interceptor(NodeCredentials credentials) {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                Optional<X509Certificate> cert = NodeCredentials.peerCertificate(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
                Optional<String> node = cert.flatMap(NodeCredentials::nodeIdOf);
                if (node.isEmpty()) {
                    log.warn("refused {} from {}: the caller presented no node certificate of this cluster",
                            call.getMethodDescriptor().getBareMethodName(), call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
                    call.close(Status.UNAUTHENTICATED.withDescription("a node certificate of this cluster is required"), new Metadata());
                    return new ServerCall.Listener<>() {};
                }
                if (credentials.isRevoked(node.get())) {
                    log.warn("refused {} from {}: node {} was removed from the cluster", call.getMethodDescriptor().getBareMethodName(),
                            call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR), node.get());
                    call.close(Status.PERMISSION_DENIED.withDescription("node " + node.get() + " was removed from the cluster"), new Metadata());
                    return new ServerCall.Listener<>() {};
                }
                return Contexts.interceptCall(Context.current().withValue(NODE, node.get()).withValue(CERTIFICATE, cert.get()),
                        call, headers, next);
            }
        };
    }

    /** The nodes a request says sent it (none if it names none). */
    static java.util.List<String> claimedSenders(Request request) {
        java.util.List<String> claimed = switch (request) {
            case Request.Mirror m -> java.util.Arrays.asList(m.primary());
            case Request.Since s -> java.util.Arrays.asList(s.from(), s.holder());
            case Request.HandOver h -> java.util.Arrays.asList(h.holder());
            case Request.Ping p -> java.util.Arrays.asList(p.from());
            case Request.PrepareCut c -> java.util.Arrays.asList(c.coordinator());
            default -> java.util.List.of();
        };
        return claimed.stream().filter(c -> c != null && !c.isEmpty()).toList();
    }

    /**
     * Why the current caller may not send {@code request}: it names another node as its sender
     * than the caller's certificate does. Empty when it may (or the call is in-process).
     */
    static Optional<String> impersonation(Request request) {
        String caller = NODE.get();
        if (caller == null) {
            return Optional.empty();
        }
        for (String claimed : claimedSenders(request)) {
            if (!claimed.equals(caller)) {
                return Optional.of("node " + caller + " sent a " + request.getClass().getSimpleName() + " in the name of node " + claimed);
            }
        }
        return Optional.empty();
    }
}
