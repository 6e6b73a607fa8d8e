package io.cairn.meta.tls;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;

/**
 * PEM files of certificates and private keys (PKCS#8); a key file is written with mode 0600, and
 * one that others may read is refused ({@link #requireOwnerOnly}).
 */
public final class Pem {

    private Pem() {}

    /** Refuses a secret's file that anyone but its owner may read or write. */
    public static void requireOwnerOnly(Path file) throws IOException {
        java.util.Set<java.nio.file.attribute.PosixFilePermission> open = Files.getPosixFilePermissions(file);
        open.removeAll(java.util.EnumSet.of(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                java.nio.file.attribute.PosixFilePermission.OWNER_WRITE));
        if (!open.isEmpty()) {
            throw new IOException(file + " is open to others (" + open + "): chmod 600 " + file);
        }
    }

    /** Whether {@code key} is the private half of {@code publicKey} (an ECDSA signature made with one checks with the other). */
    public static boolean keyMatches(PrivateKey key, java.security.PublicKey publicKey) {
        try {
            java.security.Signature s = java.security.Signature.getInstance("SHA256withECDSA");
            s.initSign(key);
            byte[] probe = "cairn key check".getBytes(StandardCharsets.US_ASCII);
            s.update(probe);
            byte[] signature = s.sign();
            s.initVerify(publicKey);
            s.update(probe);
            return s.verify(signature);
        } catch (java.security.GeneralSecurityException e) {
            return false;
        }
    }

    static List<X509Certificate> readCertificates(Path file) throws IOException {
        List<X509Certificate> out = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser p = new PEMParser(r)) {
            for (Object o = p.readObject(); o != null; o = p.readObject()) {
                if (!(o instanceof X509CertificateHolder h)) {
                    throw new IOException(file + ": expected certificates only, found " + o.getClass().getSimpleName());
                }
                out.add(new JcaX509CertificateConverter().getCertificate(h));
            }
        } catch (CertificateException | RuntimeException e) {
            throw new IOException(file + ": not a PEM certificate: " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new IOException(file + ": no certificate in it");
        }
        return out;
    }

    static PrivateKey readPrivateKey(Path file) throws IOException {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser p = new PEMParser(r)) {
            Object o = p.readObject();
            JcaPEMKeyConverter c = new JcaPEMKeyConverter();
            if (o instanceof PrivateKeyInfo info) {
                return c.getPrivateKey(info);
            }
            if (o instanceof PEMKeyPair pair) {
                return c.getPrivateKey(pair.getPrivateKeyInfo());
            }
            throw new IOException(file + ": expected an unencrypted PEM private key, found "
                    + (o == null ? "nothing" : o.getClass().getSimpleName()));
        } catch (RuntimeException e) {
            throw new IOException(file + ": not a PEM private key: " + e.getMessage(), e);
        }
    }

    static void writeCertificates(Path file, List<X509Certificate> certs) throws IOException {
        StringWriter s = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(s)) {
            for (X509Certificate c : certs) {
                w.writeObject(c);
            }
        }
        write(file, s.toString(), "rw-r--r--");
    }

    static void writePrivateKey(Path file, PrivateKey key) throws IOException {
        StringWriter s = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(s)) {
            w.writeObject(new JcaPKCS8Generator(key, null));
        }
        write(file, s.toString(), "rw-------");
    }

    /** Writes through a temporary file created with its final permissions, then moves it in place. */
    private static void write(Path file, String text, String permissions) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions)));
        Files.writeString(tmp, text, StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
