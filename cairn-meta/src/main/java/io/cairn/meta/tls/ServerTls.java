package io.cairn.meta.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS for the public port (S3 and the admin API): a certificate chain and key in PEM files, as an
 * operator's CA or a public one issued them; and, for a client, trust in one CA's PEM bundle.
 */
public final class ServerTls {

    private static final char[] NO_PASSWORD = new char[0];

    private ServerTls() {}

    /** A server context presenting the chain in {@code certFile} (leaf first) with the key in {@code keyFile}. */
    public static SSLContext serverContext(Path certFile, Path keyFile) throws IOException {
        List<X509Certificate> chain = Pem.readCertificates(certFile);
        PrivateKey key = Pem.readPrivateKey(keyFile);
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("server", key, NO_PASSWORD, chain.toArray(X509Certificate[]::new));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, NO_PASSWORD);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), null, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IOException(certFile + " and " + keyFile + " do not make a TLS server identity: " + e.getMessage(), e);
        }
    }

    /** Trust in the certificates of the PEM bundle {@code caFile}, and nothing else. */
    public static TrustManagerFactory trustOnly(Path caFile) throws IOException {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            int i = 0;
            for (X509Certificate c : Pem.readCertificates(caFile)) {
                ks.setCertificateEntry("ca-" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            return tmf;
        } catch (GeneralSecurityException e) {
            throw new IOException(caFile + ": cannot trust it: " + e.getMessage(), e);
        }
    }

    /** A client context that trusts only the CA bundle {@code caFile}. */
    public static SSLContext clientContext(Path caFile) throws IOException {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, trustOnly(caFile).getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IOException(caFile + ": " + e.getMessage(), e);
        }
    }

    /** Whether both files exist. */
    public static boolean existIn(Path certFile, Path keyFile) {
        return Files.isRegularFile(certFile) && Files.isRegularFile(keyFile);
    }
}
