package io.cairn.meta;

import io.cairn.meta.tls.NodeCredentials;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.KeyManager;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.proto.RaftProtos.RaftClientRequestProto;
import org.apache.ratis.thirdparty.io.grpc.ForwardingServerCallListener;
import org.apache.ratis.thirdparty.io.grpc.Grpc;
import org.apache.ratis.thirdparty.io.grpc.Metadata;
import org.apache.ratis.thirdparty.io.grpc.ServerCall;
import org.apache.ratis.thirdparty.io.grpc.ServerCallHandler;
import org.apache.ratis.thirdparty.io.grpc.ServerInterceptor;
import org.apache.ratis.thirdparty.io.grpc.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mutual TLS on every Raft connection (between voters, and from clients to voters' client and
 * admin services): each side presents its node certificate and trusts only the cluster CA's
 * certificates of nodes not removed from the cluster; a client also checks that the voter's
 * certificate names the host it dialled. A voter checks every call as well as every handshake,
 * so a connection a removed node opened before its removal serves it nothing more.
 */
final class RaftTls {

    /** The service a Raft client's requests (reads and writes) arrive on. */
    private static final String CLIENT_SERVICE = "ratis.grpc.RaftClientProtocolService/";

    private static final Logger LOG = LoggerFactory.getLogger(RaftTls.class);

    private RaftTls() {}

    /** Ratis parameters of a client for {@code tls}, or empty parameters (plaintext) when it is null. */
    static Parameters parameters(NodeCredentials tls) {
        return parameters(tls, null);
    }

    /**
     * Ratis parameters for {@code tls}, or empty parameters (plaintext) when it is null. A voter
     * passes {@code callers}, where its interceptor binds each client's requests to the
     * certificate that sent them.
     */
    static Parameters parameters(NodeCredentials tls, RaftCallers callers) {
        return parameters(tls, callers, null);
    }

    /** As above; a voter with {@code delayOrNull} also delays the calls of nodes of other sites (tests of a wide-area link). */
    static Parameters parameters(NodeCredentials tls, RaftCallers callers, RaftSiteDelay delayOrNull) {
        Parameters p = new Parameters();
        if (tls != null) {
            KeyManager key = tls.keyManagers().getKeyManagers()[0];
            GrpcTlsConfig conf = new GrpcTlsConfig(key, tls.trustManager(), true);
            GrpcConfigKeys.TLS.setConf(p, conf);
            GrpcConfigKeys.Server.setTlsConf(p, conf);
            GrpcConfigKeys.Client.setTlsConf(p, conf);
            GrpcConfigKeys.Admin.setTlsConf(p, conf);
            // The last interceptor added runs first: a refused call is refused at once, never delayed.
            GrpcConfigKeys.Server.setServicesCustomizer(p, (builder, types) -> delayOrNull == null
                    ? builder.intercept(refuseRevoked(tls, callers))
                    : builder.intercept(delayOrNull).intercept(refuseRevoked(tls, callers)));
        }
        return p;
    }

    /** The node id a call's certificate names, if it has one of the cluster's. */
    static Optional<String> callerOf(ServerCall<?, ?> call) {
        return NodeCredentials.peerCertificate(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION)).flatMap(NodeCredentials::nodeIdOf);
    }

    private static ServerInterceptor refuseRevoked(NodeCredentials tls, RaftCallers callers) {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                Optional<X509Certificate> cert = NodeCredentials.peerCertificate(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
                Optional<String> node = cert.flatMap(NodeCredentials::nodeIdOf);
                String refusal = node.isEmpty() ? "the caller presented no node certificate of this cluster"
                        : tls.isRevoked(node.get()) ? "node " + node.get() + " was removed from the cluster"
                        : votersOnly(call.getMethodDescriptor().getFullMethodName()) && !NodeCredentials.isVoter(cert.get())
                        ? "node " + node.get() + " is not a meta voter: " + call.getMethodDescriptor().getFullMethodName()
                                + " is for voters only" : null;
                if (refusal == null) {
                    ServerCall.Listener<Q> listener = next.startCall(call, headers);
                    return callers == null || !call.getMethodDescriptor().getFullMethodName().startsWith(CLIENT_SERVICE) ? listener
                            : bindingCallers(call, listener, new RaftCallers.Caller(node.get(), NodeCredentials.isVoter(cert.get())), callers);
                }
                LOG.warn("refused Raft call {} from {}: {}", call.getMethodDescriptor().getFullMethodName(),
                        call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR), refusal);
                call.close(Status.PERMISSION_DENIED.withDescription(refusal), new Metadata());
                return new ServerCall.Listener<>() {};
            }
        };
    }

    /**
     * Binds the client id of every request on {@code call} to {@code caller} before Ratis sees
     * it; a request under a client id another certificate holds ends the call.
     */
    private static <Q, R> ServerCall.Listener<Q> bindingCallers(ServerCall<Q, R> call, ServerCall.Listener<Q> listener,
            RaftCallers.Caller caller, RaftCallers callers) {
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            private boolean refused;

            @Override
            public void onMessage(Q message) {
                if (refused) {
                    return;
                }
                if (message instanceof RaftClientRequestProto request && !callers.bind(request.getRpcRequest().getRequestorId(), caller)) {
                    refused = true;
                    LOG.warn("refused Raft request from {} (node {}): its client id belongs to another node's certificate",
                            call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR), caller.nodeId());
                    call.close(Status.PERMISSION_DENIED.withDescription("client id used by another node"), new Metadata());
                    return;
                }
                super.onMessage(message);
            }

            @Override
            public void onHalfClose() {
                if (!refused) {
                    super.onHalfClose();
                }
            }
        };
    }

    /**
     * Whether a Raft call is for voters only: the server protocol (votes, log entries, snapshots)
     * and every admin call but reading the group's members, which every node does to find it.
     */
    static boolean votersOnly(String fullMethodName) {
        return fullMethodName.startsWith("ratis.grpc.RaftServerProtocolService/")
                || (fullMethodName.startsWith("ratis.grpc.AdminProtocolService/")
                        && !fullMethodName.equals("ratis.grpc.AdminProtocolService/groupInfo")
                        && !fullMethodName.equals("ratis.grpc.AdminProtocolService/groupList"));
    }

}
