package io.cairn.meta;

import io.cairn.meta.tls.NodeCredentials;
import java.util.List;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;

/**
 * Mutual TLS on every Raft connection (between voters, and from clients to voters' client and
 * admin services): each side presents its node certificate and trusts only the cluster CA; a
 * client also checks that the voter's certificate names the host it dialled.
 */
final class RaftTls {

    private RaftTls() {}

    /** Ratis parameters for {@code tls}, or empty parameters (plaintext) when it is null. */
    static Parameters parameters(NodeCredentials tls) {
        Parameters p = new Parameters();
        if (tls != null) {
            GrpcTlsConfig conf = new GrpcTlsConfig(tls.key(), tls.certificate(), List.of(tls.caCertificate()), true);
            GrpcConfigKeys.TLS.setConf(p, conf);
            GrpcConfigKeys.Server.setTlsConf(p, conf);
            GrpcConfigKeys.Client.setTlsConf(p, conf);
            GrpcConfigKeys.Admin.setTlsConf(p, conf);
        }
        return p;
    }
}
